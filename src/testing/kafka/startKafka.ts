import { AttendanceStreamError } from '../../errors.js'
import { DEFAULT_KAFKA_VERSION, type KafkaBroker } from './kafkaBroker.js'
import { type LocalKafkaBrokerOptions, startLocalKafkaBroker } from './localKafkaBroker.js'
import { waitForMetadata } from './waitForMetadata.js'

/** How `startKafka` finds or starts a broker. */
export interface StartKafkaOptions extends LocalKafkaBrokerOptions {
  /** Environment to read `KAFKA_BROKERS` / `KAFKA_VERSION` from; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv
  /** How long to wait for a container runtime to answer before using the local JVM; default 2 s. */
  readonly containerProbeMs?: number
}

/**
 * A Kafka broker for a test run, the demo or a benchmark, resolved in this order and reported in one line
 * through `log`:
 *
 * 1. `KAFKA_BROKERS` is set → use it (nothing is started, `stop()` does nothing);
 * 2. a container runtime answers → `@testcontainers/kafka` (when that optional package is installed);
 * 3. otherwise a local Apache Kafka 4.x JVM ({@link startLocalKafkaBroker}).
 *
 * With `saslSsl` (a secured listener, see {@link LocalKafkaBrokerOptions}) it is always the local JVM.
 *
 * @example
 * const kafka = await startKafka({ log: console.error })
 * try { await runSomething(kafka.brokers) } finally { await kafka.stop() }
 */
export const startKafka = async (options: StartKafkaOptions = {}): Promise<KafkaBroker> => {
  const env = options.env ?? process.env
  const log = options.log ?? (() => undefined)
  const kafkaVersion = options.kafkaVersion ?? env['KAFKA_VERSION'] ?? DEFAULT_KAFKA_VERSION

  // A SASL_SSL listener is ours to set up: only the embedded broker can have one.
  const fromEnv = options.saslSsl === undefined ? env['KAFKA_BROKERS']?.trim() : undefined
  if (fromEnv) {
    const brokers = fromEnv.split(',').map((b) => b.trim())
    await waitForMetadata(brokers, options.startTimeoutMs ?? 30_000)
    log(`kafka: using KAFKA_BROKERS=${brokers.join(',')}`)
    return { brokers, source: 'env', stop: async () => undefined }
  }

  const container =
    options.saslSsl === undefined
      ? await startContainerIfRuntime(options.containerProbeMs ?? 2_000)
      : undefined
  if (container !== undefined) {
    log(`kafka: started a container (@testcontainers/kafka) at ${container.brokers.join(',')}`)
    return container
  }

  try {
    const broker = await startLocalKafkaBroker({ ...options, kafkaVersion, log })
    log(
      `kafka: started Apache Kafka ${kafkaVersion} (local JVM, KRaft) at ${broker.brokers.join(',')}, ` +
        `ready in ${broker.readyMs} ms${broker.saslSsl === undefined ? '' : `, SASL_SSL at ${broker.saslSsl.brokers.join(',')}`}`,
    )
    return broker
  } catch (error) {
    if (error instanceof AttendanceStreamError && /required/.test(error.message)) {
      throw new AttendanceStreamError(
        'BROKER_START_FAILED',
        `no Kafka broker available: ${error.message}. Install Java 17+ and Maven (for the embedded broker), ` +
          'or a container runtime (Docker/Podman), or set KAFKA_BROKERS=host:port of a running broker.',
        { cause: error },
      )
    }
    throw error
  }
}

// @testcontainers/kafka 11 drives Confluent's images; Confluent Platform 8.0 ships Apache Kafka 4.0.
const CONTAINER_IMAGE = 'confluentinc/cp-kafka:8.0.0'
const CONTAINER_KAFKA_VERSION = '4.0 (confluentinc/cp-kafka:8.0.0)'

const startContainerIfRuntime = async (probeMs: number): Promise<KafkaBroker | undefined> => {
  let modules: [typeof import('testcontainers'), typeof import('@testcontainers/kafka')]
  try {
    modules = await Promise.all([import('testcontainers'), import('@testcontainers/kafka')])
  } catch {
    return undefined // optional: not installed where the package is used without its dev dependencies
  }
  const [testcontainers, kafkaModule] = modules
  // Without a runtime this rejects within milliseconds; the timeout only guards a runtime that hangs.
  const runtime = await Promise.race([
    testcontainers.getContainerRuntimeClient().then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), probeMs).unref()),
  ])
  if (!runtime) return undefined
  const started = await new kafkaModule.KafkaContainer(CONTAINER_IMAGE).withKraft().start()
  const brokers = [`${started.getHost()}:${started.getMappedPort(9093)}`]
  await waitForMetadata(brokers, 60_000)
  let stopped: Promise<unknown> | undefined
  return {
    brokers,
    source: 'container',
    kafkaVersion: CONTAINER_KAFKA_VERSION,
    stop: async () => {
      stopped ??= started.stop()
      await stopped
    },
  }
}
