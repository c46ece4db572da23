import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { generateAttendance } from '../testing/attendanceGenerator.js'
import { createAttendanceTopics, produceRecords } from '../testing/attendanceTopics.js'
import type { KafkaBroker } from '../testing/kafka/kafkaBroker.js'
import { startKafka } from '../testing/kafka/startKafka.js'
import { type HubSpotSimulator, startHubSpotSimulator } from '../testing/simulator/index.js'
import { SANDBOX_USAGE } from './usage.js'
import { UsageError } from './usageError.js'

/** The topics a sandbox creates; its broker is fresh, so fixed names never collide. */
export const SANDBOX_TOPICS = {
  input: 'attendance-scans',
  results: 'attendance-results',
  errors: 'attendance-errors',
} as const

const say = (line: string) => process.stderr.write(`${line}\n`)

const count = (flag: string, raw: string | undefined, fallback: number, min: number): number => {
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > 10_000_000) {
    throw new UsageError(`--${flag}: expected a whole number from ${min} to 10000000, got "${raw}"`)
  }
  return value
}

/** How to call this CLI again, as the user did: from the sources, from dist/, or installed. */
const invocation = (): string => {
  const entry = process.argv[1] ?? ''
  const shown = entry.startsWith(process.cwd()) ? relative(process.cwd(), entry) : entry
  if (entry.endsWith('.ts')) return `npx tsx ${shown}`
  if (entry.endsWith('/dist/cli/main.js')) return `node ${shown}`
  return 'attendance-stream'
}

/** `attendance-stream sandbox [produce]`: returns the exit code. */
export const runSandbox = async (args: string[]): Promise<number> => {
  if (args[0] === 'produce') return produceSample(args.slice(1))
  const { values } = parseArgs({
    args,
    options: {
      'config-file': { type: 'string' },
      records: { type: 'string' },
      partitions: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help === true) {
    process.stdout.write(SANDBOX_USAGE)
    return 0
  }
  const records = count('records', values.records, 0, 0)
  const partitions = count('partitions', values.partitions, 3, 1)

  let received: NodeJS.Signals | undefined
  let wake: () => void = () => undefined
  const stopped = new Promise<void>((resolve) => {
    wake = resolve
  })
  const onSignal = (signal: NodeJS.Signals) => {
    if (received !== undefined) process.exit(130)
    received = signal
    say(`\n${signal}: stopping the simulator and the broker (again to exit at once)`)
    wake()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const tempDir =
    values['config-file'] === undefined ? mkdtempSync(join(tmpdir(), 'attendance-sandbox-')) : undefined
  const configFile = resolve(values['config-file'] ?? join(tempDir as string, 'config.json'))
  let broker: KafkaBroker | undefined
  let sim: HubSpotSimulator | undefined
  try {
    // Always a broker of its own: KAFKA_BROKERS in the environment is where `run` goes, not the sandbox.
    broker = await startKafka({ env: { ...process.env, KAFKA_BROKERS: '' }, log: say })
    if (received !== undefined) return exitCodeOf(received)
    sim = await startHubSpotSimulator({ events: 'auto', contacts: 'auto' })
    say(`hubspot: simulator at ${sim.url} (creates any event, accepts any contact)`)
    await createAttendanceTopics(broker.brokers, SANDBOX_TOPICS, { input: partitions })
    say(
      `kafka: topics ${SANDBOX_TOPICS.input} (${partitions} partitions), ${SANDBOX_TOPICS.results}, ${SANDBOX_TOPICS.errors}`,
    )
    writeFileSync(configFile, `${JSON.stringify(sandboxConfig(broker.brokers, sim.url), null, 2)}\n`)
    if (records > 0) {
      await produceRecords(
        broker.brokers,
        SANDBOX_TOPICS.input,
        generateAttendance(records, { seed: 1, badShare: 0.03 }),
      )
      say(`kafka: produced ${records} sample records into ${SANDBOX_TOPICS.input}`)
    }
    const cli = invocation()
    process.stdout.write(
      [
        '',
        `sandbox ready; configuration written to ${configFile}`,
        '',
        'Run a member against it (another terminal):',
        `  HUBSPOT_TOKEN=${sim.token} ${cli} run --config ${configFile}`,
        '',
        'Produce sample records into its input topic:',
        `  ${cli} sandbox produce --config ${configFile} --records 1000`,
        '',
        `Outcomes go to ${SANDBOX_TOPICS.results} and ${SANDBOX_TOPICS.errors}. Ctrl-C stops the sandbox.`,
        '',
      ].join('\n'),
    )
    const simulator = sim
    let lastRequests = 0
    const activity = setInterval(() => {
      const { requests } = simulator.counters()
      if (requests !== lastRequests)
        say(
          `hubspot: ${requests} requests so far, ${simulator.participations().length} participations stored`,
        )
      lastRequests = requests
    }, 5_000)
    await stopped
    clearInterval(activity)
    return exitCodeOf(received ?? 'SIGTERM')
  } finally {
    await sim?.stop()
    await broker?.stop()
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true })
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

// Ctrl-C is an interruption (130, as shells expect); SIGTERM is the normal way to stop a service (0).
const exitCodeOf = (signal: NodeJS.Signals | undefined): number => (signal === 'SIGINT' ? 130 : 0)

// The package's schema, from src/cli or dist/cli alike: editors then check the file a user edits.
const CONFIG_SCHEMA = new URL('../../config.schema.json', import.meta.url).href

/** A configuration `run` accepts as it is, the token apart (HUBSPOT_TOKEN, printed with the command). */
export const sandboxConfig = (brokers: readonly string[], hubspotUrl: string) => ({
  $schema: CONFIG_SCHEMA,
  kafka: {
    brokers: [...brokers],
    groupId: 'attendance-stream-sandbox',
    inputTopics: [SANDBOX_TOPICS.input],
    resultsTopic: SANDBOX_TOPICS.results,
    errorsTopic: SANDBOX_TOPICS.errors,
  },
  hubspot: { accounts: { default: { baseUrl: hubspotUrl } } },
})

/** `sandbox produce --config FILE`: generated records into the first input topic of that configuration. */
const produceSample = async (args: string[]): Promise<number> => {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      records: { type: 'string' },
      seed: { type: 'string' },
      'bad-share': { type: 'string' },
    },
  })
  if (values.config === undefined)
    throw new UsageError('sandbox produce needs --config FILE (the sandbox prints it)')
  const badShare = values['bad-share'] === undefined ? 0.03 : Number(values['bad-share'])
  if (!(badShare >= 0 && badShare <= 1))
    throw new UsageError(`--bad-share: expected 0 to 1, got "${values['bad-share']}"`)
  const config = JSON.parse(readFileSync(values.config, 'utf8')) as ReturnType<typeof sandboxConfig>
  const brokers = config.kafka?.brokers
  const topic = config.kafka?.inputTopics?.[0]
  if (!Array.isArray(brokers) || typeof topic !== 'string') {
    throw new UsageError(`${values.config} has no kafka.brokers or kafka.inputTopics`)
  }
  const records = count('records', values.records, 1_000, 1)
  // A fresh seed per call unless given: a second batch is new attendance, not the first one again.
  const seed = count('seed', values.seed, Date.now() % 2 ** 31, 0)
  await produceRecords(brokers, topic, generateAttendance(records, { seed, badShare }))
  process.stdout.write(`produced ${records} records into ${topic} at ${brokers.join(',')}\n`)
  return 0
}
