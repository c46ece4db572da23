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
}

/** The Kafka version the embedded broker runs unless `KAFKA_VERSION` says otherwise. */
export const DEFAULT_KAFKA_VERSION = '4.1.1'
