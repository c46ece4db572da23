import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { isLeft } from 'fp-ts/lib/Either.js'
import { Kafka, logLevel } from 'kafkajs'
import { CONFIG_DEFAULTS } from '../config/defaults.js'
import { type PipelineConfig, resolvePipelineConfig } from '../config/pipelineConfig.js'
import { type AttendancePipeline, attendancePipeline } from '../streams/attendancePipeline.js'
import { generateAttendance } from '../testing/attendanceGenerator.js'
import { createAttendanceTopics } from '../testing/attendanceTopics.js'
import type { KafkaBroker } from '../testing/kafka/kafkaBroker.js'
import { startKafka } from '../testing/kafka/startKafka.js'
import { auditOutcomes } from '../testing/outcomeAudit.js'
import { type HubSpotSimulator, startHubSpotSimulator } from '../testing/simulator/index.js'
import { type DemoReport, formatReport, latencies, percentile } from './demoReport.js'

const HELP = `attendance-stream demo — the whole pipeline on an embedded Kafka broker and the HubSpot simulator

  --records N          records to produce (default 10000)
  --rate N             records per second offered (default 1000)
  --events N           marketing events (default 3)
  --contacts N         distinct contacts (default 2000)
  --bad-share X        share of malformed records, 0–1 (default 0.03)
  --faults X           share of HubSpot requests failing with 500/502/503, 0–1 (default 0)
  --latency-ms N       added HubSpot latency per request (default 20)
  --members N          consumer-group members (default 1)
  --partitions N       input topic partitions (default 6)
  --seed N             record generator seed (default 1)
  --brokers LIST       use this Kafka instead of starting one (host:port,…)
  --hubspot-token T    send to a REAL HubSpot account instead of the simulator (with --hubspot-url)
  --hubspot-url URL    default https://api.hubapi.com (only with --hubspot-token)
  --json               print only the final report, as one JSON document, on stdout (everything else
                       goes to stderr): npm run --silent demo -- --json | jq
`

// A Professional private app: 190 requests per rolling 10 s. No requestsPer10s is configured: the sink reads the
// simulator's X-HubSpot-RateLimit-Max and keeps the default 5 % headroom, as it would with a real account.
const SIMULATED_LIMIT = 190
const BUDGET =
  SIMULATED_LIMIT - Math.floor(SIMULATED_LIMIT * CONFIG_DEFAULTS.hubspot.account.rateLimitHeadroom)

interface DemoFlags {
  readonly records: number
  readonly rate: number
  readonly events: number
  readonly contacts: number
  readonly badShare: number
  readonly faults: number
  readonly latencyMs: number
  readonly members: number
  readonly partitions: number
  readonly seed: number
  readonly brokers?: string
  readonly hubspotToken?: string
  readonly hubspotUrl: string
  readonly json: boolean
}

const parseFlags = (args: string[]): DemoFlags | 'help' => {
  const { values } = parseArgs({
    args,
    options: {
      records: { type: 'string' },
      rate: { type: 'string' },
      events: { type: 'string' },
      contacts: { type: 'string' },
      'bad-share': { type: 'string' },
      faults: { type: 'string' },
      'latency-ms': { type: 'string' },
      members: { type: 'string' },
      partitions: { type: 'string' },
      seed: { type: 'string' },
      brokers: { type: 'string' },
      'hubspot-token': { type: 'string' },
      'hubspot-url': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help === true) return 'help'
  const number = (name: keyof typeof values, fallback: number, min: number, max: number): number => {
    const raw = values[name]
    const value = raw === undefined ? fallback : Number(raw)
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new Error(`--${name}: expected a number from ${min} to ${max}, got ${String(raw)}`)
    }
    return value
  }
  return {
    records: Math.round(number('records', 10_000, 1, 10_000_000)),
    rate: number('rate', 1_000, 1, 1_000_000),
    events: Math.round(number('events', 3, 1, 10_000)),
    contacts: Math.round(number('contacts', 2_000, 1, 10_000_000)),
    badShare: number('bad-share', 0.03, 0, 1),
    faults: number('faults', 0, 0, 1),
    latencyMs: number('latency-ms', 20, 0, 60_000),
    members: Math.round(number('members', 1, 1, 16)),
    partitions: Math.round(number('partitions', 6, 1, 1_000)),
    seed: Math.round(number('seed', 1, 0, 2 ** 31)),
    ...(values.brokers === undefined ? {} : { brokers: values.brokers }),
    ...(values['hubspot-token'] === undefined ? {} : { hubspotToken: values['hubspot-token'] }),
    hubspotUrl: values['hubspot-url'] ?? 'https://api.hubapi.com',
    json: values.json === true,
  }
}

const say = (line: string) => process.stderr.write(`${line}\n`)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** `attendance-stream demo`: returns the exit code (0 when the final check passes). */
export const runDemo = async (args: string[]): Promise<number> => {
  let flags: DemoFlags | 'help'
  try {
    flags = parseFlags(args)
  } catch (error) {
    say(`attendance-stream demo: ${error instanceof Error ? error.message : String(error)}\n\n${HELP}`)
    return 2
  }
  if (flags === 'help') {
    process.stdout.write(HELP)
    return 0
  }

  let interrupted = false
  const onSignal = () => {
    if (interrupted) process.exit(130)
    interrupted = true
    say('\ninterrupted: stopping everything the demo started (Ctrl-C again to exit at once)')
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  let failure: { error: unknown } | undefined
  const waitFor = async (condition: () => boolean, timeoutMs: number, what: string): Promise<void> => {
    const deadline = Date.now() + timeoutMs
    while (!condition()) {
      if (failure !== undefined) throw failure.error
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
      await sleep(50)
    }
  }

  let broker: KafkaBroker | undefined
  let sim: HubSpotSimulator | undefined
  const members: AttendancePipeline[] = []
  try {
    broker = await startKafka({
      env:
        flags.brokers === undefined
          ? { ...process.env, KAFKA_BROKERS: '' }
          : { KAFKA_BROKERS: flags.brokers },
      log: say,
    })
    if (interrupted) return 130
    let token: string
    let baseUrl: string
    if (flags.hubspotToken !== undefined) {
      say(
        `WARNING: writing attendance to the REAL HubSpot account behind --hubspot-token at ${flags.hubspotUrl}.`,
      )
      say('         Events expo-2026-0… must exist there, created by the same app. Ctrl-C now to abort.')
      await sleep(5_000)
      token = flags.hubspotToken
      baseUrl = flags.hubspotUrl
    } else {
      sim = await startHubSpotSimulator({
        events: 'auto',
        contacts: 'auto',
        rateLimit: { max: SIMULATED_LIMIT },
        faults: { errorRate: flags.faults, latency: { meanMs: flags.latencyMs } },
        seed: flags.seed,
      })
      token = sim.token
      baseUrl = sim.url
      say(
        `hubspot: simulator at ${sim.url} (limit ${SIMULATED_LIMIT} requests per 10 s, ${flags.faults * 100}% faults)`,
      )
    }

    const run = randomBytes(3).toString('hex')
    const topics = {
      input: `demo-scans-${run}`,
      results: `demo-results-${run}`,
      errors: `demo-errors-${run}`,
    }
    const kafka = new Kafka({
      clientId: 'attendance-stream-demo',
      brokers: [...broker.brokers],
      logLevel: logLevel.ERROR,
    })
    await createAttendanceTopics(broker.brokers, topics, { input: flags.partitions, outcomes: 3 })
    say(
      `kafka: topics ${topics.input} (${flags.partitions} partitions) → ${topics.results}, ${topics.errors}`,
    )

    const config = demoConfig(broker.brokers, topics, `demo-group-${run}`, token, baseUrl)
    const logger = {
      info: () => undefined,
      // kafkajs's own warnings are mostly retries while the fresh broker settles: noise in a demo.
      warn: (msg: string, fields?: object) => {
        if (!msg.startsWith('kafkajs:')) say(`warning: ${msg} ${JSON.stringify(fields ?? {})}`)
      },
      error: (msg: string, fields?: object) => say(`error: ${msg} ${JSON.stringify(fields ?? {})}`),
    }
    for (let i = 0; i < flags.members; i++) {
      const member = attendancePipeline(config, { logger })
      // A member that fails ends the demo with its cause (every wait below checks), not with a time-out.
      member.done.catch((error: unknown) => {
        failure ??= { error }
      })
      members.push(member)
    }
    // Produce only once every member owns its partitions: a rebalance mid-stream would make duplicates.
    await waitFor(
      () =>
        interrupted ||
        (members.every((m) => m.metrics().assignedPartitions > 0 || flags.members > flags.partitions) &&
          members.reduce((n, m) => n + m.metrics().assignedPartitions, 0) === flags.partitions),
      60_000,
      'the consumer group to settle',
    )
    if (interrupted) return 130
    say(
      `pipeline: ${flags.members} member(s) in group demo-group-${run}; producing ${flags.records} records at ${flags.rate}/s`,
    )
    if (flags.members > 1 && sim !== undefined) {
      // Asked about often: the members here share one machine's CPU and one HubSpot budget.
      say(
        `note: ${flags.members} members on one machine are not faster than one: they share its CPU and the one ` +
          `HubSpot budget (${BUDGET} requests per 10 s), which caps the whole group. More members add throughput ` +
          'when CPU, not HubSpot, is the limit, and on more machines; here they show partitions and the budget ' +
          'being shared.',
      )
    }

    const records = [
      ...generateAttendance(flags.records, {
        seed: flags.seed,
        events: flags.events,
        contacts: flags.contacts,
        badShare: flags.badShare,
        startAt: Date.now() - 600_000,
        stepMs: Math.max(1, Math.floor(600_000 / flags.records)),
      }),
    ]
    const started = Date.now()
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    let produced = 0
    const producing = (async () => {
      while (produced < records.length && !interrupted) {
        const due = Math.min(records.length, Math.floor(((Date.now() - started) / 1000) * flags.rate) + 1)
        if (due <= produced) {
          await sleep(20)
          continue
        }
        const chunk = records.slice(produced, Math.min(due, produced + 2_000))
        await producer.send({
          topic: topics.input,
          messages: chunk.map(({ key, value }) => ({ key, value })),
        })
        produced += chunk.length
      }
      await producer.disconnect()
    })()

    const outcomesSoFar = () => members.reduce((n, m) => n + m.metrics().results + m.metrics().errors, 0)
    const progress = setInterval(() => say(progressLine(members, sim, token, produced, BUDGET)), 1_000)
    try {
      await producing
      await waitFor(() => interrupted || outcomesSoFar() >= records.length, 600_000, 'every outcome')
    } finally {
      clearInterval(progress)
    }
    say(progressLine(members, sim, token, produced, BUDGET))
    const durationS = (Date.now() - started) / 1000
    // Interrupted: the members drain for at most 5 s (Kafka, in a process group of its own, is still up), so
    // the demo is gone within 10 s of Ctrl-C.
    await Promise.all(members.map((m) => m.stop({ timeoutMs: interrupted ? 5_000 : 10_000 })))
    if (interrupted) return 130

    const audit = await auditOutcomes({
      brokers: broker.brokers,
      inputTopics: [topics.input],
      resultsTopic: topics.results,
      errorsTopic: topics.errors,
    })
    const report = buildReport(flags, records, audit, members, sim, token, durationS)
    // With --json, stdout carries the JSON document alone, for jq and scripts.
    if (flags.json) {
      process.stderr.write(formatReport(report))
      process.stdout.write(`${JSON.stringify(report)}\n`)
    } else {
      process.stdout.write(formatReport(report))
    }
    return report.ok ? 0 : 1
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await Promise.allSettled(members.map((m) => m.stop({ timeoutMs: 5_000 })))
    await sim?.stop()
    await broker?.stop()
  }
}

const demoConfig = (
  brokers: readonly string[],
  topics: { input: string; results: string; errors: string },
  groupId: string,
  token: string,
  baseUrl: string,
): PipelineConfig => {
  const resolved = resolvePipelineConfig({
    kafka: {
      brokers: [...brokers],
      groupId,
      inputTopics: [topics.input],
      resultsTopic: topics.results,
      errorsTopic: topics.errors,
    },
    hubspot: { accounts: { default: { token, baseUrl } } },
    limits: { commitIntervalMs: 1_000 },
  })
  if (isLeft(resolved)) throw new Error(`demo config: ${resolved.left.join('; ')}`)
  return resolved.right
}

const sinkTotals = (members: readonly AttendancePipeline[]) => {
  const totals = { requests: 0, inputs: 0, rateLimited: 0, retries: 0, inUse: 0 }
  for (const member of members) {
    for (const account of Object.values(member.metrics().sink.accounts)) {
      totals.requests += account.inputsPerRequest.count
      totals.inputs += account.inputsPerRequest.sum
      totals.rateLimited += account.rateLimited.tenSecondly + account.rateLimited.daily
      totals.retries += account.retries
      totals.inUse += account.budget.inUse
    }
  }
  return totals
}

const requestsInLast10s = (sim: HubSpotSimulator | undefined, token: string): number | undefined => {
  const arrivals = sim?.counters().tokens[token]?.arrivals
  if (arrivals === undefined) return undefined
  const since = Date.now() - 10_000
  let n = 0
  for (let i = arrivals.length - 1; i >= 0 && (arrivals[i] as number) > since; i--) n++
  return n
}

const progressLine = (
  members: readonly AttendancePipeline[],
  sim: HubSpotSimulator | undefined,
  token: string,
  produced: number,
  budget: number,
): string => {
  const m = members.map((member) => member.metrics())
  const sum = (f: (x: (typeof m)[number]) => number) => m.reduce((n, x) => n + f(x), 0)
  const sink = sinkTotals(members)
  const window = requestsInLast10s(sim, token) ?? sink.inUse
  const perRequest = sink.requests === 0 ? 0 : sink.inputs / sink.requests
  return [
    `produced ${produced}`,
    `in ${sum((x) => x.recordsIn)}`,
    `outcomes ${sum((x) => x.results)}✔/${sum((x) => x.errors)}✖`,
    `batches ${sum((x) => x.batches)}`,
    `${perRequest.toFixed(1)} inputs/req`,
    `${window} req in last 10 s (budget ${budget}${sim === undefined ? '' : `, limit ${SIMULATED_LIMIT}`})`,
    `429s ${sim?.counters().rateLimited.total ?? sink.rateLimited}`,
    `retries ${sink.retries}`,
    `in flight ${sum((x) => x.inFlight)}`,
    `lag ${sum((x) => x.lag)}`,
  ].join(' │ ')
}

const buildReport = (
  flags: DemoFlags,
  records: readonly { expected?: unknown }[],
  audit: Awaited<ReturnType<typeof auditOutcomes>>,
  members: readonly AttendancePipeline[],
  sim: HubSpotSimulator | undefined,
  token: string,
  durationS: number,
): DemoReport => {
  const errorsByCode: Record<string, number> = {}
  for (const { kind, record } of audit.outcomes.values()) {
    if (kind === 'error') {
      const code = String(record['code'])
      errorsByCode[code] = (errorsByCode[code] ?? 0) + 1
    }
  }
  const sink = sinkTotals(members)
  const lat = latencies(audit)
  const valid = records.filter((r) => r.expected !== undefined).length
  const counters = sim?.counters()
  return {
    ok: audit.missing.length === 0 && audit.duplicated.size === 0 && audit.unexpected.length === 0,
    records: { produced: records.length, valid, malformed: records.length - valid },
    outcomes: {
      results: audit.results,
      errors: audit.errors,
      missing: audit.missing.length,
      duplicated: audit.duplicated.size,
      unexpected: audit.unexpected.length,
      errorsByCode,
    },
    hubspot: {
      requests: counters?.requests ?? sink.requests,
      inputsPerRequest: sink.requests === 0 ? 0 : sink.inputs / sink.requests,
      maxRequestsIn10s: counters?.tokens[token]?.maxInWindow ?? 0,
      limitPer10s: sim === undefined ? null : SIMULATED_LIMIT,
      budgetPer10s: BUDGET,
      rateLimited: counters?.rateLimited.total ?? sink.rateLimited,
      retries: sink.retries,
      faultsInjected:
        counters === undefined ? 0 : counters.faults.status + counters.faults.reset + counters.faults.hang,
    },
    latencyMs: {
      p50: percentile(lat, 0.5),
      p90: percentile(lat, 0.9),
      p99: percentile(lat, 0.99),
      max: lat.at(-1) ?? 0,
    },
    durationS,
    members: flags.members,
    throughput: records.length / durationS,
  }
}
