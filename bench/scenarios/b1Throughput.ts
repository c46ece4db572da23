import { generateAttendance } from '../../src/testing/attendanceGenerator.js'
import { type HubSpotSimulator, startHubSpotSimulator } from '../../src/testing/simulator/index.js'
import { type BenchKafka, uniqueName, waitFor } from '../lib/benchKafka.js'
import {
  benchPipelineConfig,
  createBenchTopics,
  startBenchPipeline,
  UNLIMITED_REQUESTS_PER_10S,
  UNLIMITED_SIMULATOR,
} from '../lib/benchPipeline.js'
import type { Scenario, ScenarioContext, ScenarioResult } from '../lib/scenario.js'
import { startSimulatorProcess } from '../lib/simulatorProcess.js'
import { perSecond, round } from '../lib/stats.js'
import { startSdkPeer } from '../peer/hubspotSdkPeer.js'

/**
 * B1: records/s of (a) a consumer group that does nothing, (a') a consume → produce pass-through group that writes
 * one outcome-sized record per input with the pipeline's producer settings (idempotent, acks=all: the fair
 * ceiling for a service that must write an outcome per input), (b) the whole pipeline, (c) the SDK peer, over the
 * same records in the same topic. For (b) and (c) the simulator runs in a process of its own, as HubSpot runs on
 * other machines than the pipeline (in-process it took about a tenth of the thread measured). Rates are measured
 * from the moment the member joined its group (so the group join and the first fetch's wait count for none of
 * them) to the last record done; the peer is measured on a time
 * budget instead, since it would take hours for all of them. Then the view a user has: the peer and the pipeline
 * under the same HubSpot limit (190 per 10 s, a Pro private app), each for a fixed time.
 */

const PARTITIONS = 6
/** About the size of a result record (source coordinates, the input, HubSpot's answer) as the pipeline writes it. */
const OUTCOME_BYTES = 600
const LIMITED = { max: 190, windowMs: 10_000 } as const

interface Measured {
  readonly records: number
  readonly ms: number
  /** From connect, group join included. */
  readonly totalMs: number
  readonly perSecond: number
}

const measureCeiling = async (kafka: BenchKafka, topic: string, n: number): Promise<Measured> => {
  const consumer = kafka.client().consumer({ groupId: uniqueName('b1-ceiling'), maxWaitTimeInMs: 500 })
  let joinedAt: number | undefined
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joinedAt ??= Date.now()
  })
  let count = 0
  const started = Date.now()
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await consumer.run({
    eachBatch: async ({ batch }) => {
      count += batch.messages.length
    },
  })
  const doneAt = await waitFor('the ceiling consumer read every record', () => count >= n, 300_000, 5)
  await consumer.disconnect()
  const ms = doneAt - (joinedAt ?? started)
  return { records: count, ms, totalMs: doneAt - started, perSecond: perSecond(count, ms) }
}

/** (a'): consume, write one outcome-sized record per input (idempotent, acks=all), commit; as the pipeline must. */
const measurePassThrough = async (kafka: BenchKafka, input: string, n: number): Promise<Measured> => {
  const output = uniqueName('b1-pass-out')
  await kafka.createTopic(output, PARTITIONS)
  const consumer = kafka.client().consumer({ groupId: uniqueName('b1-pass'), maxWaitTimeInMs: 500 })
  const producer = kafka.client().producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  let joinedAt: number | undefined
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joinedAt ??= Date.now()
  })
  const padding = 'x'.repeat(OUTCOME_BYTES)
  let count = 0
  const started = Date.now()
  await consumer.connect()
  await consumer.subscribe({ topic: input, fromBeginning: true })
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      // In requests of at most 1,000 records, as the pipeline's producer coalesces them (a fetch can hold more
      // than a broker takes in one request).
      for (let i = 0; i < batch.messages.length; i += 1_000) {
        await producer.send({
          topic: output,
          acks: -1,
          messages: batch.messages.slice(i, i + 1_000).map((m) => ({
            key: m.key,
            value: `{"offset":"${m.offset}","p":"${padding}"}`,
          })),
        })
      }
      const last = batch.messages.at(-1)
      if (last !== undefined) resolveOffset(last.offset)
      await heartbeat()
      count += batch.messages.length
    },
  })
  const doneAt = await waitFor('the pass-through group wrote every record', () => count >= n, 300_000, 5)
  await consumer.disconnect()
  await producer.disconnect()
  const ms = doneAt - (joinedAt ?? started)
  return { records: count, ms, totalMs: doneAt - started, perSecond: perSecond(count, ms) }
}

/** Inputs HubSpot accepted per second over the whole 10-s windows from the first request, up to `until`. */
const acceptedPerSecond = (sim: HubSpotSimulator, until: number): number => {
  const accepted = sim.requestLog().filter((r) => r.status === '200')
  const first = accepted[0]?.at
  if (first === undefined) return 0
  const windows = Math.max(1, Math.floor((until - first) / LIMITED.windowMs))
  const inputs = accepted
    .filter((r) => r.at < first + windows * LIMITED.windowMs)
    .reduce((sum, r) => sum + r.inputs, 0)
  return inputs / ((windows * LIMITED.windowMs) / 1000)
}

/** The pipeline (defaults: the budget follows the headers) against a simulator allowing 190 per 10 s. */
const measureLimitedPipeline = async (context: ScenarioContext, input: string, durationMs: number) => {
  const sim = await startHubSpotSimulator({
    events: 'auto',
    contacts: 'auto',
    rateLimit: { max: LIMITED.max },
  })
  try {
    const topics = await createBenchTopics(context.kafka, 'b1-limited', PARTITIONS, input)
    const pipeline = startBenchPipeline(
      benchPipelineConfig(context.kafka, topics, { url: sim.url, token: sim.token }),
    )
    await waitFor(
      'the limited pipeline sent its first request',
      () => sim.requestLog().length > 0,
      120_000,
      20,
    )
    await new Promise((resolve) => setTimeout(resolve, durationMs))
    const rate = acceptedPerSecond(sim, Date.now())
    await pipeline.stop({ timeoutMs: 15_000 })
    return rate
  } finally {
    await sim.stop()
  }
}

/** The SDK peer (one input per call, its own retry on 429) against the same limit. */
const measureLimitedPeer = async (context: ScenarioContext, input: string, durationMs: number) => {
  const sim = await startHubSpotSimulator({
    events: 'auto',
    contacts: 'auto',
    rateLimit: { max: LIMITED.max },
  })
  try {
    const peer = await startSdkPeer({
      brokers: context.kafka.brokers,
      topic: input,
      groupId: uniqueName('b1-peer-limited'),
      basePath: sim.url,
      accessToken: sim.token,
    })
    await waitFor('the limited peer sent its first request', () => sim.requestLog().length > 0, 120_000, 20)
    await new Promise((resolve) => setTimeout(resolve, durationMs))
    const rate = acceptedPerSecond(sim, Date.now())
    await peer.stop()
    return rate
  } finally {
    await sim.stop()
  }
}

export const measurePipeline = async (context: ScenarioContext, input: string, n: number) => {
  const sim = await startSimulatorProcess(UNLIMITED_SIMULATOR)
  try {
    const topics = await createBenchTopics(context.kafka, 'b1', PARTITIONS, input)
    const config = benchPipelineConfig(context.kafka, topics, {
      url: sim.url,
      token: sim.token,
      requestsPer10s: UNLIMITED_REQUESTS_PER_10S,
    })
    const started = Date.now()
    const pipeline = startBenchPipeline(config)
    let joinedAt: number | undefined
    const subscription = pipeline.events.subscribe((event) => {
      if (event.type === 'assigned') joinedAt ??= Date.now()
    })
    const done = () => {
      const m = pipeline.metrics()
      return m.results + m.errors >= n
    }
    const doneAt = await waitFor('the pipeline wrote an outcome for every record', done, 600_000, 5)
    const metrics = pipeline.metrics()
    await pipeline.stop()
    subscription.unsubscribe()
    const ms = doneAt - (joinedAt ?? started)
    const sink = metrics.sink.accounts['default']
    const measured: Measured = {
      records: metrics.results + metrics.errors,
      ms,
      totalMs: doneAt - started,
      perSecond: perSecond(metrics.results + metrics.errors, ms),
    }
    return {
      ...measured,
      errors: metrics.errors,
      requests: sink?.inputsPerRequest.count ?? 0,
      inputsPerRequest: round(
        (sink?.inputsPerRequest.sum ?? 0) / Math.max(1, sink?.inputsPerRequest.count ?? 0),
      ),
    }
  } finally {
    await sim.stop()
  }
}

const measurePeer = async (context: ScenarioContext, input: string, budgetMs: number, maxRecords: number) => {
  const sim = await startSimulatorProcess(UNLIMITED_SIMULATOR)
  try {
    const started = Date.now()
    const peer = await startSdkPeer({
      brokers: context.kafka.brokers,
      topic: input,
      groupId: uniqueName('b1-peer'),
      basePath: sim.url,
      accessToken: sim.token,
    })
    await waitFor('the peer joined', () => peer.joinedAt() !== undefined, 60_000)
    const joinedAt = peer.joinedAt() as number
    const endAt = await waitFor(
      'the peer used its time budget',
      () => Date.now() - joinedAt >= budgetMs || peer.processed() >= maxRecords,
      budgetMs + 60_000,
    )
    const processed = peer.processed()
    await peer.stop()
    const ms = endAt - joinedAt
    return {
      records: processed,
      failed: peer.failed(),
      ms,
      totalMs: endAt - started,
      perSecond: perSecond(processed, ms),
      requests: (await sim.counters()).requests,
    }
  } finally {
    await sim.stop()
  }
}

export const b1Throughput: Scenario = {
  id: 'B1',
  title: 'Throughput: ceiling vs attendance-stream vs hand-written SDK peer',
  run: async (context): Promise<ScenarioResult> => {
    const n = context.smoke ? 5_000 : 200_000
    const peerBudgetMs = context.smoke ? 2_000 : 60_000
    const peerMax = context.smoke ? 500 : 20_000
    const input = uniqueName('b1-in')
    await context.kafka.createTopic(input, PARTITIONS)
    const produced = await context.kafka.produce(
      input,
      [...generateAttendance(n, { seed: 9, badShare: 0, startAt: Date.now() - 3_600_000 })].map(
        ({ key, value }) => ({ key, value }),
      ),
    )
    context.log(`B1: produced ${produced} records on ${PARTITIONS} partitions`)
    const ceiling = await measureCeiling(context.kafka, input, n)
    context.log(`B1(a) ceiling: ${ceiling.perSecond} records/s`)
    const passThrough = await measurePassThrough(context.kafka, input, n)
    context.log(`B1(a') consume → produce pass-through: ${passThrough.perSecond} records/s`)
    const pipeline = await measurePipeline(context, input, n)
    context.log(`B1(b) pipeline: ${pipeline.perSecond} records/s`)
    const peer = await measurePeer(context, input, peerBudgetMs, peerMax)
    context.log(`B1(c) SDK peer: ${peer.perSecond} records/s`)
    const limitedMs = context.smoke ? 2_000 : 30_000
    const limitedPipeline = await measureLimitedPipeline(context, input, limitedMs)
    const limitedPeer = await measureLimitedPeer(context, input, limitedMs)
    context.log(
      `B1 under 190 per 10 s: pipeline ${Math.round(limitedPipeline)}/s, peer ${round(limitedPeer, 1)}/s`,
    )
    const ba = pipeline.perSecond / Math.max(1, ceiling.perSecond)
    const bPass = pipeline.perSecond / Math.max(1, passThrough.perSecond)
    const bc = pipeline.perSecond / Math.max(1, peer.perSecond)
    const limitedRatio = limitedPipeline / Math.max(0.001, limitedPeer)
    return {
      id: 'B1',
      title: b1Throughput.title,
      setup: {
        records: n,
        partitions: PARTITIONS,
        peerBudgetMs,
        peerMaxRecords: peerMax,
        simulator: 'its own process for (b) and (c); no latency, limit 1,000,000 / 10 s, no daily limit',
        pipeline: `defaults, requestsPer10s ${UNLIMITED_REQUESTS_PER_10S}`,
      },
      rows: [
        { metric: '(a) ceiling: consumer group, no work', value: ceiling.perSecond, unit: 'records/s' },
        { metric: '(b) attendance-stream end to end', value: pipeline.perSecond, unit: 'records/s' },
        { metric: '(c) SDK peer, one input per call', value: peer.perSecond, unit: 'records/s' },
        {
          metric: "(a') consume → produce pass-through, one outcome-sized record per input",
          value: passThrough.perSecond,
          unit: 'records/s',
        },
        { metric: "b/a'", value: round(bPass), unit: '×', target: '≥ 0.5', met: bPass >= 0.5 },
        { metric: 'b/a (for reference)', value: round(ba), unit: '×' },
        { metric: 'b/c', value: round(bc, 1), unit: '×', target: '≥ 20', met: bc >= 20 },
        { metric: '(b) inputs per request', value: pipeline.inputsPerRequest, unit: 'inputs' },
        {
          metric: `under ${LIMITED.max} per 10 s: attendance-stream, accepted inputs`,
          value: Math.round(limitedPipeline),
          unit: 'inputs/s',
        },
        {
          metric: `under ${LIMITED.max} per 10 s: SDK peer, accepted inputs`,
          value: round(limitedPeer, 1),
          unit: 'inputs/s',
        },
        {
          metric: `under ${LIMITED.max} per 10 s: attendance-stream / SDK peer`,
          value: round(limitedRatio, 1),
          unit: '×',
          target: '≥ 20',
          met: limitedRatio >= 20,
        },
      ],
      data: {
        ceiling,
        passThrough,
        pipeline,
        peer,
        limitedPipeline,
        limitedPeer,
        ratios: { ba, bPass, bc, limitedRatio },
      },
    }
  },
}
