/**
 * The benchmark suite (issue 9): every scenario against one Kafka broker and the HubSpot simulator, one table.
 *
 *   npm run bench                          # full sizes (about ten minutes)
 *   npm run bench -- --smoke               # tiny sizes, under a minute: keeps the scripts working
 *   npm run bench -- --only B1,B3 --json bench/results/run.json
 *
 * The broker: `KAFKA_BROKERS` if set, else the one `startKafka()` starts (container or local JVM). Progress goes
 * to stderr, the table to stdout. Full runs also write the B2, B3 and B6 charts to docs/benchmarks/.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { dirname } from 'node:path'
import { startKafka } from '../src/testing/kafka/index.js'
import { benchKafka } from './lib/benchKafka.js'
import { writeCharts } from './lib/charts.js'
import { resultsTable } from './lib/resultsTable.js'
import type { Scenario, ScenarioId, ScenarioResult } from './lib/scenario.js'
import { b1Throughput } from './scenarios/b1Throughput.js'
import { b2Batching } from './scenarios/b2Batching.js'
import { b3RateLimit } from './scenarios/b3RateLimit.js'
import { b4Memory } from './scenarios/b4Memory.js'
import { b5Recovery } from './scenarios/b5Recovery.js'
import { b6Backfill } from './scenarios/b6Backfill.js'

const SCENARIOS: readonly Scenario[] = [
  b1Throughput,
  b2Batching,
  b3RateLimit,
  b4Memory,
  b5Recovery,
  b6Backfill,
]

interface Args {
  readonly smoke: boolean
  readonly json?: string
  readonly only: readonly ScenarioId[]
  readonly charts: string
}

const parseArgs = (argv: readonly string[]): Args => {
  let smoke = false
  let json: string | undefined
  let only: ScenarioId[] = SCENARIOS.map((s) => s.id)
  let charts = 'docs/benchmarks'
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const value = () => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${arg} needs a value`)
      return v
    }
    if (arg === '--smoke') smoke = true
    else if (arg === '--json') json = value()
    else if (arg === '--charts') charts = value()
    else if (arg === '--only') {
      const ids = value()
        .split(',')
        .map((s) => s.trim().toUpperCase())
      const unknown = ids.filter((id) => !SCENARIOS.some((s) => s.id === id))
      if (unknown.length > 0) throw new Error(`--only: unknown scenario ${unknown.join(', ')} (B1…B6)`)
      only = ids as ScenarioId[]
    } else throw new Error(`unknown argument ${arg} (--smoke, --json <file>, --only B1,B3, --charts <dir>)`)
  }
  return { smoke, only, charts, ...(json === undefined ? {} : { json }) }
}

const args = parseArgs(process.argv.slice(2))
const log = (line: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`)
const broker = await startKafka({ log })
// The local broker's stop() awaits a child process it has unref'd: with nothing else pending, Node would exit
// in the middle of that await, before anything after it runs. A timer keeps the loop alive until it is done.
const stopBroker = async () => {
  const keepAlive = setInterval(() => undefined, 1_000)
  try {
    await broker.stop()
  } finally {
    clearInterval(keepAlive)
  }
}
const results: ScenarioResult[] = []
const failures: { id: ScenarioId; error: string }[] = []
const started = Date.now()
try {
  const context = { kafka: benchKafka(broker.brokers), smoke: args.smoke, log }
  for (const scenario of SCENARIOS.filter((s) => args.only.includes(s.id))) {
    log(`${scenario.id}: ${scenario.title}${args.smoke ? ' (smoke)' : ''}`)
    const t0 = Date.now()
    try {
      results.push(await scenario.run(context))
      log(`${scenario.id}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    } catch (error) {
      // One scenario failing must not hide the others' figures; the exit code still reports it.
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
      failures.push({ id: scenario.id, error: message })
      log(`${scenario.id}: FAILED ${message}`)
    }
  }
} catch (error) {
  await stopBroker()
  throw error
}

const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryMiB: Math.round(totalmem() / 2 ** 20),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  kafka: broker.kafkaVersion ?? broker.source,
}
console.log(resultsTable(results))
const report = {
  mode: args.smoke ? 'smoke' : 'full',
  startedAt: new Date(started).toISOString(),
  durationMs: Date.now() - started,
  machine,
  scenarios: Object.fromEntries(results.map((r) => [r.id, r])),
  failures,
}
if (args.json !== undefined) {
  mkdirSync(dirname(args.json), { recursive: true })
  writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`)
  log(`results written to ${args.json}`)
}
if (!args.smoke) {
  for (const file of writeCharts(results, args.charts)) log(`chart written to ${file}`)
}
await stopBroker()
process.exit(failures.length > 0 ? 1 : 0)
