import { startHubSpotSimulator } from '../../src/testing/simulator/index.js'
import { waitFor } from '../lib/benchKafka.js'
import { benchPipelineConfig, createBenchTopics, startBenchPipeline } from '../lib/benchPipeline.js'
import type { Scenario, ScenarioResult } from '../lib/scenario.js'
import { round } from '../lib/stats.js'
import { zipfKeyMix, zipfRecordFactory } from '../lib/zipfAttendance.js'

/**
 * B3: a backlog far above the account's limit (simulator: HubSpot's smallest tier, 100 requests per rolling 10 s,
 * told in its headers), the pipeline with its defaults (no requestsPer10s: the budget follows the headers less the
 * 5 % headroom; maxBatchSize 100), for a fixed time. The simulator records every request's arrival, so every
 * rolling window can be checked, not a sample of them. Throughput is measured over whole 10-s windows from the
 * first request, since requests go in bursts as the rolling window frees slots.
 */

const LIMIT = 100
/** What the sink makes of the headers: 100 less 5 % headroom. */
const BUDGET = 95
const MAX_BATCH_SIZE = 100
const WINDOW_MS = 10_000

export const b3RateLimit: Scenario = {
  id: 'B3',
  title: 'Rate-limit compliance under load above the budget',
  run: async (context): Promise<ScenarioResult> => {
    const durationMs = context.smoke ? 4_000 : 60_000
    // Twice what the limit could carry in the run, so the pipeline never runs dry.
    const backlog = Math.ceil(((2 * LIMIT * MAX_BATCH_SIZE) / WINDOW_MS) * durationMs)
    const topics = await createBenchTopics(context.kafka, 'b3', 6)
    const make = zipfRecordFactory(zipfKeyMix(3, 1), { seed: 3 })
    const stampedAt = Date.now() - 60_000
    await context.kafka.produce(
      topics.input,
      Array.from({ length: backlog }, (_, i) => make(stampedAt + i)),
    )
    context.log(`B3: ${backlog} records waiting; running ${durationMs / 1000} s`)
    const sim = await startHubSpotSimulator({ events: 'auto', contacts: 'auto', rateLimit: { max: LIMIT } })
    try {
      const config = benchPipelineConfig(
        context.kafka,
        topics,
        { url: sim.url, token: sim.token },
        { batching: { maxBatchSize: MAX_BATCH_SIZE } },
      )
      const pipeline = startBenchPipeline(config)
      await waitFor('the pipeline joined its group', () => pipeline.ready(), 60_000)
      const start = Date.now()
      let rateLimitedInFirstWindow = 0
      const firstWindow = setTimeout(() => {
        rateLimitedInFirstWindow = sim.counters().rateLimited.total
      }, WINDOW_MS)
      await new Promise((resolve) => setTimeout(resolve, durationMs))
      const atEnd = sim.counters()
      const elapsedMs = Date.now() - start
      clearTimeout(firstWindow)
      if (durationMs < WINDOW_MS) rateLimitedInFirstWindow = atEnd.rateLimited.total
      await pipeline.stop({ timeoutMs: 15_000 })
      const final = sim.counters()
      const token = final.tokens[sim.token]
      const arrivals = token?.arrivals ?? []
      const rolling = sim.windowCounts(sim.token, WINDOW_MS)
      const maxWindow = token?.maxInWindow ?? 0
      const accepted = sim.requestLog().filter((r) => r.status === '200')
      const first = accepted[0]?.at ?? start
      const wholeWindows = Math.max(1, Math.floor((start + elapsedMs - first) / WINDOW_MS))
      const inWindows = accepted
        .filter((r) => r.at < first + wholeWindows * WINDOW_MS)
        .reduce((sum, r) => sum + r.inputs, 0)
      const achieved = inWindows / ((wholeWindows * WINDOW_MS) / 1000)
      const limitRate = (LIMIT * MAX_BATCH_SIZE) / (WINDOW_MS / 1000)
      const budgetRate = (BUDGET * MAX_BATCH_SIZE) / (WINDOW_MS / 1000)
      const after = final.rateLimited.total - rateLimitedInFirstWindow
      return {
        id: 'B3',
        title: b3RateLimit.title,
        setup: {
          durationMs,
          backlog,
          simulatorLimitPer10s: LIMIT,
          budgetFromHeaders: BUDGET,
          wholeWindows: 'throughput over the whole 10-s windows from the first request',
          maxBatchSize: MAX_BATCH_SIZE,
          keys: 9,
        },
        rows: [
          {
            metric: 'largest rolling 10-s window',
            value: maxWindow,
            unit: 'requests',
            target: `≤ ${LIMIT}`,
            met: maxWindow <= LIMIT,
          },
          { metric: '429s served (whole run)', value: final.rateLimited.total, unit: '429s' },
          {
            metric: '429s after the first window',
            value: after,
            unit: '429s',
            target: '0',
            met: after === 0,
          },
          { metric: 'achieved', value: Math.round(achieved), unit: 'inputs/s' },
          {
            metric: `achieved / limit × maxBatchSize (${limitRate}/s)`,
            value: round((achieved / limitRate) * 100, 1),
            unit: '%',
            target: '≥ 95%',
            met: achieved / limitRate >= 0.95,
          },
          {
            metric: `achieved / budget from the headers × maxBatchSize (${budgetRate}/s)`,
            value: round((achieved / budgetRate) * 100, 1),
            unit: '%',
            target: '≥ 95%',
            met: achieved / budgetRate >= 0.95,
          },
        ],
        data: {
          start,
          elapsedMs,
          requests: final.requests,
          inputsAccepted: atEnd.inputsAccepted,
          rateLimitedInFirstWindow,
          // Each request's arrival (s from start) and how many requests its rolling window held: the chart's series.
          windows: arrivals.map((t, i) => [round((t - start) / 1000, 3), rolling[i] ?? 0]),
        },
      }
    } finally {
      await sim.stop()
    }
  },
}
