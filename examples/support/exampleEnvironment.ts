import { randomBytes } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { installKafkajsWorkarounds } from '../../src/cli/kafkajsWorkarounds.js'
// in your project: import { … } from 'attendance-stream/testing'
import {
  createAttendanceTopics,
  type HubSpotSimulator,
  startHubSpotSimulator,
  startKafka,
} from '../../src/testing/index.js'

/**
 * The plumbing every example shares: where Kafka and HubSpot are, topics with names of their own, and a few
 * records on them. Not part of the library; copy what you need.
 */

/** Where the examples find Kafka and HubSpot. */
export interface ExampleEnvironment {
  readonly brokers: readonly string[]
  readonly hubspot: { readonly baseUrl: string; readonly token: string }
  /** The simulator, when the examples started one (no `HUBSPOT_TOKEN` was given). */
  readonly simulator?: HubSpotSimulator
  /** Stops whatever this environment started. */
  stop(): Promise<void>
}

/**
 * Kafka from `KAFKA_BROKERS`, else an embedded broker (see `startKafka`), unless `kafka: false`; HubSpot from `HUBSPOT_TOKEN` and
 * `HUBSPOT_BASE_URL`, else the simulator, creating any event and accepting any contact id.
 */
export const startExampleEnvironment = async (
  options: { readonly kafka?: boolean; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<ExampleEnvironment> => {
  const env = options.env ?? process.env
  const kafka =
    options.kafka === false
      ? { brokers: [], stop: async () => undefined }
      : await startKafka({ env, log: (line) => console.error(line) })
  const token = env['HUBSPOT_TOKEN']?.trim()
  if (token) {
    console.error('hubspot: writing to a REAL HubSpot account (HUBSPOT_TOKEN is set)')
    return {
      brokers: kafka.brokers,
      hubspot: { baseUrl: env['HUBSPOT_BASE_URL']?.trim() || 'https://api.hubapi.com', token },
      stop: () => kafka.stop(),
    }
  }
  const simulator = await startHubSpotSimulator({ events: 'auto', contacts: 'auto' })
  console.error(`hubspot: simulator at ${simulator.url}`)
  return {
    brokers: kafka.brokers,
    hubspot: { baseUrl: simulator.url, token: simulator.token },
    simulator,
    stop: async () => {
      await simulator.stop()
      await kafka.stop()
    },
  }
}

/** True when `moduleUrl` (pass `import.meta.url`) is the file Node or tsx was asked to run. */
export const isMain = (moduleUrl: string): boolean => {
  const entry = process.argv[1]
  return entry !== undefined && pathToFileURL(entry).href === moduleUrl
}

/**
 * Runs an example's `main` in a fresh environment and stops the environment afterwards, also when `main`
 * fails (the process then exits with status 1).
 *
 * Ctrl-C or SIGTERM: an example whose `main` stops cleanly on a signal itself says so (`handlesSignals`), and
 * the environment is stopped once it has returned; any other example is cut short — the environment (Kafka
 * last) is stopped at once and the process exits 130 (SIGINT) or 143 (SIGTERM), printing nothing more.
 */
export const runExample = async (
  main: (env: ExampleEnvironment) => Promise<unknown>,
  options: { readonly kafka?: boolean; readonly handlesSignals?: boolean } = {},
): Promise<void> => {
  let interrupted: NodeJS.Signals | undefined
  let env: ExampleEnvironment | undefined
  const cutShort = (signal: NodeJS.Signals) => {
    if (interrupted !== undefined) process.exit(exitCodeOf(signal))
    interrupted = signal
    // Started or not yet: the environment goes, then the process, before main can print about the loss.
    void Promise.resolve(env?.stop()).finally(() => process.exit(exitCodeOf(signal)))
  }
  if (options.handlesSignals !== true) {
    process.on('SIGINT', cutShort)
    process.on('SIGTERM', cutShort)
  }
  env = await startExampleEnvironment(options)
  if (interrupted !== undefined) {
    await env.stop()
    process.exit(exitCodeOf(interrupted))
  }
  try {
    await main(env)
  } catch (error) {
    if (interrupted !== undefined) return
    console.error(error)
    process.exitCode = 1
  } finally {
    if (interrupted === undefined) await env.stop()
    process.off('SIGINT', cutShort)
    process.off('SIGTERM', cutShort)
  }
}

const exitCodeOf = (signal: NodeJS.Signals): number => (signal === 'SIGINT' ? 130 : 143)

/** Input, results and errors topics and a consumer group, all unique to one run. */
export interface ExampleTopics {
  readonly input: string
  readonly results: string
  readonly errors: string
  readonly groupId: string
}

/** Creates fresh topics (random suffix), so runs never see each other's records or offsets. */
export const createExampleTopics = async (
  brokers: readonly string[],
  prefix: string,
  inputPartitions = 3,
): Promise<ExampleTopics> => {
  const suffix = randomBytes(4).toString('hex')
  const topics: ExampleTopics = {
    input: `${prefix}-scans-${suffix}`,
    results: `${prefix}-results-${suffix}`,
    errors: `${prefix}-errors-${suffix}`,
    groupId: `${prefix}-${suffix}`,
  }
  await createAttendanceTopics(brokers, topics, { input: inputPartitions })
  return topics
}

/** Checks `condition` every 100 ms until it holds; throws after `timeoutMs`, naming what it waited for. */
export const waitUntil = async (
  what: string,
  condition: () => boolean,
  timeoutMs = 60_000,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

// The same kafkajs fixes as the CLI (a negative timer on Node 24, the partitioner notice): see the module.
installKafkajsWorkarounds()
