/**
 * Sustained load on the HubSpot sink, in real time: three sink instances (a consumer group of three) share one
 * simulator token with share 1/3 each and keep more batches in flight than the budget allows, for DURATION_S
 * seconds (default 60). Prints requests per 10-second window against the limit, 429s served, inputs per request
 * and outcome counts. The run ends when the last batch sent before DURATION_S is answered (up to ~10 s later:
 * it may wait for budget).
 *
 *   npx tsx bench/sink.ts            # DURATION_S=20 npx tsx bench/sink.ts for a shorter run
 */
import { createHubSpotClient } from '../src/sinks/hubspot/client.js'
import { createHubSpotSink, type HubSpotSink } from '../src/sinks/hubspotSink.js'
import { maxInWindow, startHubSpotSimulator, windowCounts } from '../src/testing/simulator/index.js'
import { scanBatch } from '../test/sinks/sinkFixtures.js'

const DURATION_MS = Number(process.env.DURATION_S ?? 60) * 1_000
const LIMIT = 100
const MEMBERS = 3
const BATCH = 100
const PARALLEL = 8

const sim = await startHubSpotSimulator({
  events: 'auto',
  contacts: 'auto',
  rateLimit: { max: LIMIT },
  faults: { latency: { meanMs: 20, maxMs: 200 } },
})

const drive = async (sink: HubSpotSink, firstVid: number, until: number) => {
  let vid = firstVid
  const tally = { Recorded: 0, Rejected: 0, Failed: 0 }
  const worker = async () => {
    while (Date.now() < until) {
      const batch = scanBatch(vid, BATCH)
      vid += BATCH
      for (const o of await sink.send(batch)) tally[o._tag] += 1
    }
  }
  await Promise.all(Array.from({ length: PARALLEL }, worker))
  return tally
}

const clients = Array.from({ length: MEMBERS }, () =>
  createHubSpotClient({ baseUrl: sim.url, token: sim.token }),
)
const sinks = clients.map((client) => createHubSpotSink({ client, share: 1 / MEMBERS }))
const start = Date.now()
const tallies = await Promise.all(sinks.map((s, i) => drive(s, i * 10_000_000 + 1, start + DURATION_MS)))
const elapsed = Date.now() - start

const counters = sim.counters()
const arrivals = counters.tokens[sim.token]?.arrivals ?? []
const fixedWindows: number[] = []
for (const t of arrivals) {
  const w = Math.floor((t - start) / 10_000)
  fixedWindows[w] = (fixedWindows[w] ?? 0) + 1
}
const rolling = windowCounts(arrivals, 10_000)
const snapshots = sinks.map((s) => s.metrics.snapshot().accounts.default)
const histogram = snapshots.reduce<number[]>((acc, m) => {
  m?.inputsPerRequest.counts.forEach((c, i) => {
    acc[i] = (acc[i] ?? 0) + c
  })
  return acc
}, [])
const inputs = snapshots.reduce((n, m) => n + (m?.inputsPerRequest.sum ?? 0), 0)
const requests = snapshots.reduce((n, m) => n + (m?.inputsPerRequest.count ?? 0), 0)
const buckets = snapshots[0]?.inputsPerRequest.buckets ?? []

console.log(
  `sink bench: ${MEMBERS} members × share 1/${MEMBERS}, requestsPer10s 90, simulator limit ${LIMIT}/10 s`,
)
console.log(`ran ${(elapsed / 1000).toFixed(1)} s, ${PARALLEL} batches of ${BATCH} in flight per member`)
console.log(
  `requests served: ${counters.requests}, 429 served: ${counters.rateLimited.total} (ten-secondly ${counters.rateLimited.tenSecondly}, daily ${counters.rateLimited.daily})`,
)
console.log(`requests per fixed 10-s window (from start): ${fixedWindows.map((n) => n ?? 0).join(', ')}`)
console.log(
  `largest rolling 10-s window: ${maxInWindow(arrivals, 10_000)} (limit ${LIMIT}); mean of rolling windows: ${(rolling.reduce((a, b) => a + b, 0) / Math.max(1, rolling.length)).toFixed(1)}`,
)
console.log(
  `inputs per request: mean ${(inputs / Math.max(1, requests)).toFixed(1)} over ${requests} requests; histogram (≤bucket: count) ${buckets.map((b, i) => `≤${b}: ${histogram[i] ?? 0}`).join(', ')}, >${buckets.at(-1)}: ${histogram[buckets.length] ?? 0}`,
)
console.log(
  `throughput: ${((inputs / elapsed) * 1000).toFixed(0)} inputs/s; outcomes per member: ${tallies.map((t) => JSON.stringify(t)).join(' ')}`,
)
console.log(`latency p-max per member (ms): ${snapshots.map((m) => m?.latencyMs.max.toFixed(0)).join(', ')}`)

await Promise.all(sinks.map((s) => s.close()))
await Promise.all(clients.map((c) => c.close()))
await sim.stop()
