import { appendFileSync } from 'node:fs'
import { isLeft } from 'fp-ts/lib/Either.js'
import { type Admin, Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolvePipelineConfig } from '../../src/config/pipelineConfig.js'
import { type AttendancePipeline, attendancePipeline } from '../../src/streams/attendancePipeline.js'
import { type GeneratedRecord, generateAttendance } from '../../src/testing/attendanceGenerator.js'
import { createTopicsWithLeaders } from '../../src/testing/kafka/createTopicsWithLeaders.js'
import { type LocalKafkaBroker, startLocalKafkaBroker } from '../../src/testing/kafka/index.js'
import {
  auditOutcomes,
  committedOffsets,
  endOffsets,
  type OutcomeAudit,
} from '../../src/testing/outcomeAudit.js'
import { type HubSpotSimulator, startHubSpotSimulator } from '../../src/testing/simulator/index.js'
import { uniqueName } from '../support/kafka.js'
import { waitUntil } from '../support/pipelineHarness.js'

/**
 * Kafka itself goes away in the middle of a run (issue 14): the broker is stopped and started again on the same
 * ports with the same data, while the member has records in its flow, outcomes to write and offsets to commit.
 * The member rides it out in-process — kafkajs reconnects (or the adapter rebuilds a consumer kafkajs gave up
 * on), outcome writes are retried on a fresh producer, commits resume — and loses nothing: every input has an
 * outcome, the group's commits (read back by the broker) reach the end of every partition, the member never
 * failed. Part of the input is produced only after the broker is back, so the consumer must fetch again, and a
 * small in-flight bound has the member paused when Kafka goes away. A broker of its own: the suite's shared
 * one must stay up.
 *
 * CI: one 20 s stop. `CHAOS=full` (npm run chaos): two stops of 60 s, the second as soon as the broker is back. `RESTART_LOG=<file>` appends the
 * member's log lines (seconds since start, level, message, fields) to that file.
 */
const FULL = process.env.CHAOS === 'full'
const DOWN_MS = FULL ? 60_000 : 20_000
const STOPS = FULL ? 2 : 1
const SEED = 20
const BEFORE = 3_000
const AFTER_EACH_RESTART = 500

const withAdmin = async <A>(kafka: Kafka, use: (admin: Admin) => Promise<A>): Promise<A> => {
  const admin = kafka.admin()
  await admin.connect()
  try {
    return await use(admin)
  } finally {
    await admin.disconnect()
  }
}

const produce = async (kafka: Kafka, topic: string, records: readonly GeneratedRecord[]): Promise<void> => {
  // Idempotent: a send retried right after the restart (leaders still being elected) must not write the input
  // twice, or the input would no longer be the records this test counts (seen once: 242 extra).
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  try {
    await producer.send({ topic, messages: records.map(({ key, value }) => ({ key, value })) })
  } finally {
    await producer.disconnect()
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('a Kafka broker restart in the middle of a run', () => {
  let broker: LocalKafkaBroker
  let sim: HubSpotSimulator
  beforeAll(async () => {
    broker = await startLocalKafkaBroker({ heapMb: 256 })
    sim = await startHubSpotSimulator({
      events: 'auto',
      contacts: 'auto',
      faults: { latency: { fixedMs: 20 } },
    })
  }, 180_000)
  afterAll(async () => {
    await sim?.stop()
    await broker?.stop()
  })

  it(`is ridden out in-process: ${STOPS} × ${DOWN_MS / 1000} s down, then every input has an outcome and the group's commits reach the end`, async () => {
    const kafka = new Kafka({
      clientId: 'restart-test',
      brokers: [...broker.brokers],
      logLevel: logLevel.NOTHING,
    })
    const topics = {
      input: uniqueName('scans'),
      results: uniqueName('results'),
      errors: uniqueName('errors'),
    }
    const groupId = uniqueName('group')
    await withAdmin(kafka, (admin) =>
      createTopicsWithLeaders(admin, [
        { topic: topics.input, numPartitions: 4 },
        { topic: topics.results, numPartitions: 2 },
        { topic: topics.errors, numPartitions: 2 },
      ]),
    )
    const records = [
      ...generateAttendance(BEFORE + STOPS * AFTER_EACH_RESTART, { seed: SEED, badShare: 0.02 }),
    ]
    await produce(kafka, topics.input, records.slice(0, BEFORE))

    const config = resolvePipelineConfig({
      kafka: {
        brokers: [...broker.brokers],
        groupId,
        inputTopics: [topics.input],
        resultsTopic: topics.results,
        errorsTopic: topics.errors,
        // After the restart the member's rejoin waits for its old session to expire: 10 s, not the default 30 s.
        sessionTimeoutMs: 10_000,
      },
      // Budget-bound (about 80 inputs/s: 40 requests of 20 per 10 s), so each stop lands mid-stream.
      hubspot: { accounts: { default: { token: sim.token, baseUrl: sim.url, requestsPer10s: 40 } } },
      batching: { maxWaitMs: 200, maxBatchSize: 20 },
      limits: { commitIntervalMs: 500, maxInFlightRecords: 400 },
    })
    if (isLeft(config)) throw new Error(config.left.join('; '))

    const t0 = Date.now()
    const lines: string[] = []
    const line = (level: string, msg: string, fields?: unknown): void => {
      const text = `${((Date.now() - t0) / 1000).toFixed(1)}s ${level} ${msg} ${JSON.stringify(fields ?? {}).slice(0, 300)}`
      lines.push(text)
      const file = process.env.RESTART_LOG
      if (file !== undefined) appendFileSync(file, `${text}\n`)
    }
    const pipeline: AttendancePipeline = attendancePipeline(config.right, {
      logger: {
        info: (msg, fields) => line('info', msg, fields),
        warn: (msg, fields) => line('warn', msg, fields),
        error: (msg, fields) => line('error', msg, fields),
      },
    })
    let failed: unknown
    pipeline.done.catch((error: unknown) => {
      failed = error
    })
    const outcomes = () => pipeline.metrics().results + pipeline.metrics().errors
    let audit: OutcomeAudit | undefined
    try {
      await waitUntil('the member joined', () => pipeline.ready(), 120_000)
      for (let stop = 1; stop <= STOPS; stop++) {
        // The first stop once some records are done; a later one as soon as the broker is back (a flapping broker:
        // kafkajs is then often still looking for the coordinator, gives up on the consumer, and the adapter
        // rebuilds it).
        if (stop === 1) await waitUntil('some records are done', () => outcomes() >= 200, 120_000)
        line('test', `stopping the broker (${stop} of ${STOPS})`, { outcomes: outcomes() })
        await broker.stopBroker()
        const whenDown = outcomes()
        // What /readyz would have said while the broker was down, sampled.
        const reasons = new Set<string>()
        for (const until = Date.now() + DOWN_MS; Date.now() < until; ) {
          await sleep(250)
          const why = pipeline.notReadyBecause()
          if (why !== undefined) reasons.add(why.replace(/: .*/, ''))
        }
        line('test', 'not ready because (while down)', [...reasons])
        expect(failed).toBeUndefined()
        expect(
          [...reasons].some((why) =>
            /^(writing outcome records to Kafka failed|the Kafka consumer)/.test(why),
          ),
        ).toBe(true)
        line('test', 'starting the broker', { outcomes: outcomes() })
        await broker.startBroker()
        line('test', 'the broker is up', { outcomes: outcomes() })
        // New input only after the restart: the consumer has to fetch again, not only the producer write.
        await produce(
          kafka,
          topics.input,
          records.slice(BEFORE + (stop - 1) * AFTER_EACH_RESTART, BEFORE + stop * AFTER_EACH_RESTART),
        )
        // The stop landed mid-stream: outcomes were still owed when Kafka went away.
        expect(whenDown).toBeLessThan(records.length)
      }

      const deadline = Date.now() + 240_000
      do {
        await sleep(2_000)
        audit = await auditOutcomes({
          brokers: [...broker.brokers],
          inputTopics: [topics.input],
          resultsTopic: topics.results,
          errorsTopic: topics.errors,
        })
      } while (audit.missing.length > 0 && failed === undefined && Date.now() < deadline)
      line('test', 'audit', { missing: audit.missing.length, ...pipeline.metrics() })
      expect(failed).toBeUndefined()
      expect(audit.missing).toEqual([])
      expect(audit.unexpected).toEqual([])
      await waitUntil(
        'everything is committed',
        () => pipeline.metrics().inFlight === 0 && pipeline.metrics().lag === 0,
        120_000,
      )
      expect(pipeline.notReadyBecause()).toBeUndefined()
    } catch (error) {
      console.log(`kafkaRestart (seed ${SEED}) member log:\n${lines.join('\n')}`)
      throw error
    } finally {
      await pipeline.stop({ timeoutMs: 30_000 })
    }
    expect(failed).toBeUndefined()
    // What the broker says the group committed, read by a fresh client after the member left.
    const [committed, ends] = await withAdmin(kafka, async (admin) => [
      await committedOffsets(admin, groupId, [topics.input]),
      await endOffsets(admin, [topics.input]),
    ])
    expect(committed).toEqual(ends)
    expect([...ends.values()].reduce((n, end) => n + end, 0n)).toBe(BigInt(records.length))
  }, 900_000)
})
