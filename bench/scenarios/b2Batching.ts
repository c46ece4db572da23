import type { Producer } from 'kafkajs'

import { auditOutcomes } from '../../src/testing/outcomeAudit.js'
import { uniqueName, waitFor } from '../lib/benchKafka.js'
import {
  benchPipelineConfig,
  createBenchTopics,
  startBenchPipeline,
  UNLIMITED_REQUESTS_PER_10S,
  UNLIMITED_SIMULATOR,
} from '../lib/benchPipeline.js'
import type { ResultRow, Scenario, ScenarioContext, ScenarioResult } from '../lib/scenario.js'
import { startSimulatorProcess } from '../lib/simulatorProcess.js'
import { ascending, percentile, round } from '../lib/stats.js'
import { bestInputsPerRequest, type KeyShare, zipfKeyMix, zipfRecordFactory } from '../lib/zipfAttendance.js'
import { measurePipeline } from './b1Throughput.js'

/**
 * B2: the Zipf key mix offered at fixed rates, each for a fixed time, to a fresh pipeline with the default batching
 * (maxBatchSize 100, maxWaitMs 1000) and a simulator that never limits. Inputs per request against the best any
 * batcher with those bounds could do, and latency from each input's Kafka timestamp to its outcome record's.
 * The rates: 200/s, 2,000/s and 80 % of the pipeline's capacity measured first on this machine (a backlog of
 * 100,000 records of the same mix drained as fast as it goes; 40,000 drained in ~4 s and measured anywhere from
 * 7,500 to 13,000/s), so the last point is a busy pipeline, not a growing queue. The simulator runs in a process
 * of its own for both, as in B1.
 */

const PARTITIONS = 6
const MAX_BATCH_SIZE = 100
const MAX_WAIT_MS = 1_000
const TICK_MS = 20

export interface RatePoint {
  readonly offered: number
  readonly records: number
  readonly achievedOffered: number
  readonly requests: number
  readonly inputsPerRequest: number
  readonly bestInputsPerRequest: number
  readonly efficiency: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
}

/** Sends records at `rate`/s for `durationMs`, each stamped (value and Kafka timestamp) when it is made. */
const offerAtRate = async (
  producer: Producer,
  topic: string,
  make: (at: number) => { key: string; value: string },
  rate: number,
  durationMs: number,
): Promise<{ sent: number; ms: number }> => {
  const start = Date.now()
  let sent = 0
  for (;;) {
    const now = Date.now()
    const elapsed = Math.min(now - start, durationMs)
    const due = Math.floor((rate * elapsed) / 1000) - sent
    if (due > 0) {
      const messages = Array.from({ length: due }, () => {
        const at = Date.now()
        return { ...make(at), timestamp: String(at) }
      })
      await producer.send({ topic, messages })
      sent += due
    }
    if (elapsed >= durationMs) return { sent, ms: Date.now() - start }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS))
  }
}

const runRate = async (
  context: ScenarioContext,
  mix: readonly KeyShare[],
  rate: number,
  durationMs: number,
  seed: number,
): Promise<RatePoint> => {
  // In a process of its own, as for the capacity measured first (B1's measurePipeline): the same conditions.
  const sim = await startSimulatorProcess(UNLIMITED_SIMULATOR)
  try {
    const topics = await createBenchTopics(context.kafka, `b2-${rate}`, PARTITIONS)
    const config = benchPipelineConfig(
      context.kafka,
      topics,
      { url: sim.url, token: sim.token, requestsPer10s: UNLIMITED_REQUESTS_PER_10S },
      { batching: { maxBatchSize: MAX_BATCH_SIZE, maxWaitMs: MAX_WAIT_MS } },
    )
    const pipeline = startBenchPipeline(config)
    await waitFor('the pipeline joined its group', () => pipeline.ready(), 60_000)
    const producer = context.kafka.client().producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    const make = zipfRecordFactory(mix, { seed, firstVid: seed * 10_000_000 })
    const offered = await offerAtRate(producer, topics.input, make, rate, durationMs)
    await producer.disconnect()
    await waitFor(
      'every offered record has an outcome',
      () => {
        const m = pipeline.metrics()
        return m.results + m.errors >= offered.sent
      },
      600_000,
      20,
    )
    const metrics = pipeline.metrics()
    await pipeline.stop()
    const audit = await auditOutcomes({
      brokers: [...context.kafka.brokers],
      inputTopics: [topics.input],
      resultsTopic: topics.results,
      errorsTopic: topics.errors,
      timeoutMs: 300_000,
    })
    if (audit.missing.length > 0 || audit.errors > 0) {
      throw new Error(
        `B2 at ${rate}/s: ${audit.missing.length} inputs without outcome, ${audit.errors} errors`,
      )
    }
    const latencies = ascending(
      [...audit.outcomes.values()].map(
        (o) => o.writtenAt - Number((o.record['source'] as { timestamp: string }).timestamp),
      ),
    )
    const sink = metrics.sink.accounts['default']
    const requests = sink?.inputsPerRequest.count ?? 0
    const inputsPerRequest = (sink?.inputsPerRequest.sum ?? 0) / Math.max(1, requests)
    const best = bestInputsPerRequest(mix, rate, MAX_BATCH_SIZE, MAX_WAIT_MS)
    return {
      offered: rate,
      records: offered.sent,
      achievedOffered: Math.round((offered.sent / offered.ms) * 1000),
      requests,
      inputsPerRequest: round(inputsPerRequest),
      bestInputsPerRequest: round(best),
      efficiency: round(inputsPerRequest / best, 3),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies.at(-1) ?? 0,
    }
  } finally {
    await sim.stop()
  }
}

/** Records/s at which the pipeline drains a backlog of this mix, from its group join to the last outcome. */
const measureCapacity = async (
  context: ScenarioContext,
  mix: readonly KeyShare[],
  records: number,
): Promise<number> => {
  const input = uniqueName('b2-capacity-in')
  await context.kafka.createTopic(input, PARTITIONS)
  const make = zipfRecordFactory(mix, { seed: 99, firstVid: 990_000_000 })
  const stampedAt = Date.now() - 60_000
  await context.kafka.produce(
    input,
    Array.from({ length: records }, (_, i) => make(stampedAt + i)),
  )
  const measured = await measurePipeline(context, input, records)
  return measured.perSecond
}

export const b2Batching: Scenario = {
  id: 'B2',
  title: 'Batch efficiency and latency on a Zipf key mix (50 events × 3 states)',
  run: async (context): Promise<ScenarioResult> => {
    const durationMs = context.smoke ? 1_000 : 20_000
    const mix = zipfKeyMix(50, 1)
    const capacity = await measureCapacity(context, mix, context.smoke ? 2_000 : 100_000)
    context.log(`B2: the pipeline drains this mix at ${capacity} records/s; the last point offers 80 % of it`)
    const rates = [200, 2_000, Math.max(1, Math.round(capacity * 0.8))]
    const points: RatePoint[] = []
    for (const [i, rate] of rates.entries()) {
      const point = await runRate(context, mix, rate, durationMs, i + 1)
      context.log(
        `B2 @${rate}/s: ${point.inputsPerRequest} inputs/request (best ${point.bestInputsPerRequest}), ` +
          `p50 ${point.p50Ms} ms, p99 ${point.p99Ms} ms`,
      )
      points.push(point)
    }
    const latencyTarget = MAX_WAIT_MS + 500
    const rows: ResultRow[] = points.flatMap((p) => [
      {
        metric: `@${p.offered}/s inputs per request (best ${p.bestInputsPerRequest})`,
        value: p.inputsPerRequest,
        unit: 'inputs',
      },
      {
        metric: `@${p.offered}/s inputs per request / best`,
        value: round(p.efficiency * 100, 1),
        unit: '%',
        target: '≥ 95%',
        met: p.efficiency >= 0.95,
      },
      { metric: `@${p.offered}/s latency p50`, value: p.p50Ms, unit: 'ms' },
      {
        metric: `@${p.offered}/s latency p99`,
        value: p.p99Ms,
        unit: 'ms',
        target: `≤ ${latencyTarget} ms`,
        met: p.p99Ms <= latencyTarget,
      },
    ])
    return {
      id: 'B2',
      title: b2Batching.title,
      setup: {
        rates,
        durationMs,
        keys: mix.length,
        zipfExponent: 1,
        measuredCapacity: capacity,
        topKeyShare: round(mix[0]?.share ?? 0, 4),
        maxBatchSize: MAX_BATCH_SIZE,
        maxWaitMs: MAX_WAIT_MS,
        partitions: PARTITIONS,
        simulator: 'no latency, limit 1,000,000 / 10 s',
      },
      rows,
      data: { points },
    }
  },
}
