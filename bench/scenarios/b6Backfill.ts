import { startHubSpotSimulator } from '../../src/testing/simulator/index.js'
import { waitFor } from '../lib/benchKafka.js'
import { benchPipelineConfig, createBenchTopics, startBenchPipeline } from '../lib/benchPipeline.js'
import type { ResultRow, Scenario, ScenarioResult } from '../lib/scenario.js'
import { round } from '../lib/stats.js'
import { type ZipfRecord, zipfKeyMix, zipfRecordFactory } from '../lib/zipfAttendance.js'

/**
 * B6: a backfill at the account's physical limit. 60,000 records already on the topic (150 keys, Zipf-ranked as in
 * B2; 30 % of the records on 20 hot contacts, which merge when they meet in a batch), a simulator that allows 190
 * requests per rolling 10 s and says so in its `X-HubSpot-RateLimit-*` headers, and the pipeline with its defaults:
 * no `requestsPer10s`, so the budget is whatever the headers show less the 5 % headroom. The simulator's request
 * log gives every request's arrival and inputs, so every window is measured, not sampled.
 */

const LIMIT = 190
const WINDOW_MS = 10_000
const MAX_BATCH_SIZE = 100
const PARTITIONS = 6
const HOT = { share: 0.3, contacts: 20 } as const

interface WindowPoint {
  /** Window index from the first request (window k covers [k × 10 s, (k + 1) × 10 s)). */
  readonly window: number
  readonly requests: number
  readonly inputs: number
  readonly inputsPerRequest: number
}

/**
 * The fewest requests any batcher bounded by `maxBatchSize` could use for these records: per key, its distinct
 * contacts in full requests (as if every record of a contact met its others in one batch), so the best mean
 * inputs per request the mix allows. Keys with fewer contacts than a request holds make it less than 100.
 */
const bestForMix = (records: readonly ZipfRecord[]): { inputs: number; requests: number } => {
  const contactsByKey = new Map<string, Set<number>>()
  for (const { value } of records) {
    const v = JSON.parse(value) as { eventId: string; state?: string; contact: { vid: number } }
    const key = `${v.eventId}|${v.state ?? 'attend'}`
    const contacts = contactsByKey.get(key) ?? new Set<number>()
    contacts.add(v.contact.vid)
    contactsByKey.set(key, contacts)
  }
  let inputs = 0
  let requests = 0
  for (const contacts of contactsByKey.values()) {
    inputs += contacts.size
    requests += Math.ceil(contacts.size / MAX_BATCH_SIZE)
  }
  return { inputs, requests }
}

export const b6Backfill: Scenario = {
  id: 'B6',
  title: "Backfill at the account's physical limit (190 per 10 s, headers, pipeline defaults)",
  run: async (context): Promise<ScenarioResult> => {
    const total = context.smoke ? 3_000 : 60_000
    const topics = await createBenchTopics(context.kafka, 'b6', PARTITIONS)
    const make = zipfRecordFactory(zipfKeyMix(50, 1), { seed: 6, hot: HOT })
    const stampedAt = Date.now() - 3_600_000
    const records = Array.from({ length: total }, (_, i) => make(stampedAt + i))
    await context.kafka.produce(topics.input, records)
    const best = bestForMix(records)
    context.log(`B6: ${total} records waiting (${best.inputs} distinct contacts per key in all)`)
    const sim = await startHubSpotSimulator({ events: 'auto', contacts: 'auto', rateLimit: { max: LIMIT } })
    try {
      const config = benchPipelineConfig(context.kafka, topics, { url: sim.url, token: sim.token })
      const pipeline = startBenchPipeline(config)
      await waitFor(
        'every record has an outcome',
        () => {
          const m = pipeline.metrics()
          return m.results + m.errors >= total
        },
        context.smoke ? 120_000 : 900_000,
        50,
      )
      const metrics = pipeline.metrics()
      await pipeline.stop({ timeoutMs: 15_000 })
      const log = sim.requestLog()
      const accepted = log.filter((r) => r.status === '200')
      const first = log[0]?.at ?? 0
      const last = log.at(-1)?.at ?? first
      const windows: WindowPoint[] = []
      for (const r of accepted) {
        const k = Math.floor((r.at - first) / WINDOW_MS)
        while (windows.length <= k) {
          windows.push({ window: windows.length, requests: 0, inputs: 0, inputsPerRequest: 0 })
        }
        const w = windows[k] as WindowPoint
        windows[k] = { ...w, requests: w.requests + 1, inputs: w.inputs + r.inputs }
      }
      for (const [k, w] of windows.entries()) {
        windows[k] = { ...w, inputsPerRequest: round(w.inputs / Math.max(1, w.requests), 1) }
      }
      // The windows the backlog kept busy from start to end; the last one only holds the tail.
      const full = windows.slice(0, Math.max(1, windows.length - 1))
      const fullInputs = full.reduce((sum, w) => sum + w.inputs, 0)
      const steadyRate = fullInputs / ((full.length * WINDOW_MS) / 1000)
      const inputs = accepted.reduce((sum, r) => sum + r.inputs, 0)
      const meanInputs = inputs / Math.max(1, accepted.length)
      const bestMean = best.inputs / Math.max(1, best.requests)
      const physical = (LIMIT * MAX_BATCH_SIZE) / (WINDOW_MS / 1000)
      const after429 = log.filter((r) => r.status === '429' && r.at >= first + WINDOW_MS).length
      const largest = Math.max(0, ...sim.windowCounts(sim.token, WINDOW_MS))
      const errors = metrics.errors
      const rows: ResultRow[] = [
        {
          metric: 'mean inputs per request',
          value: round(meanInputs, 1),
          unit: 'inputs',
          target: '≥ 95',
          met: meanInputs >= 95,
        },
        {
          metric: `if each contact's records all met in one batch (${best.requests} requests): inputs per request`,
          value: round(bestMean, 1),
          unit: 'inputs',
        },
        {
          metric: 'accepted inputs/s over the full windows, / limit × 100 / 10 s (1,900/s)',
          value: round((steadyRate / physical) * 100, 1),
          unit: '%',
          target: '≥ 95%',
          met: steadyRate / physical >= 0.95,
        },
        {
          metric: 'accepted inputs/s over the full windows',
          value: Math.round(steadyRate),
          unit: 'inputs/s',
        },
        {
          metric: 'backlog drained in (first request → last request)',
          value: round((last - first) / 1000, 1),
          unit: 's',
        },
        {
          metric: '429s after the first window',
          value: after429,
          unit: '429s',
          target: '0',
          met: after429 === 0,
        },
        {
          metric: 'largest rolling 10-s window',
          value: largest,
          unit: 'requests',
          target: `≤ ${LIMIT}`,
          met: largest <= LIMIT,
        },
        { metric: 'error records', value: errors, unit: 'records', target: '0', met: errors === 0 },
      ]
      return {
        id: 'B6',
        title: b6Backfill.title,
        setup: {
          records: total,
          keys: 150,
          zipfExponent: 1,
          hot: HOT,
          partitions: PARTITIONS,
          simulatorLimitPer10s: LIMIT,
          pipeline: 'defaults (no requestsPer10s: headers less 5 % headroom)',
        },
        rows,
        data: {
          requests: accepted.length,
          inputs,
          distinctContactsPerKey: best.inputs,
          windows,
        },
      }
    } finally {
      await sim.stop()
    }
  },
}
