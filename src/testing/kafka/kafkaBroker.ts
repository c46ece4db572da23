import type { SaslSslListener } from './saslSslListener.js'

/** A running Kafka broker, wherever it came from, and how to let go of it. */
export interface KafkaBroker {
  /** `host:port` bootstrap addresses for kafkajs. */
  readonly brokers: readonly string[]
  /** `env`: KAFKA_BROKERS; `container`: @testcontainers/kafka; `local`: an Apache Kafka JVM started by us. */
  readonly source: 'env' | 'container' | 'local'
  /** The Kafka version when we started it; unknown for `env`. */
  readonly kafkaVersion?: string
  /** Milliseconds from starting the process to the first answered metadata request (`local` only). */
  readonly readyMs?: number
  /** Stops what we started (nothing for `env`) and removes its files. Safe to call twice. */
  stop(): Promise<void>
  /** Embedded broker only (see {@link LocalKafkaBroker}): a clean Kafka shutdown that keeps the data. */
  readonly stopBroker?: () => Promise<void>
  /** Embedded broker only: starts it again after `stopBroker()`, same ports, same data. */
  readonly startBroker?: () => Promise<void>
  /** Embedded broker only: `stopBroker()` then `startBroker()`. */
  readonly restart?: () => Promise<void>
}

/** The embedded broker (`source: 'local'`), which can also be taken down and brought back. */
export interface LocalKafkaBroker extends KafkaBroker {
  readonly source: 'local'
  /** Shuts Kafka down cleanly, keeping its data; resolves once the JVM has exited. */
  readonly stopBroker: () => Promise<void>
  /** Starts it again on the same ports with the same data; resolves once it answers metadata requests. */
  readonly startBroker: () => Promise<void>
  /** `stopBroker()` then `startBroker()`. */
  readonly restart: () => Promise<void>
  /** The SASL_SSL listener and its CA, when started with the `saslSsl` option. */
  readonly saslSsl?: SaslSslListener
}

/** The Kafka version the embedded broker runs unless `KAFKA_VERSION` says otherwise. */
export const DEFAULT_KAFKA_VERSION = '4.1.1'
