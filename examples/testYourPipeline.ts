/**
 * Testing your own pipeline with `attendance-stream/testing`: a real Kafka broker, a HubSpot simulator that
 * fails some requests on purpose, a seeded stream of realistic records (some malformed), and the checks that
 * matter — every input has exactly one outcome, HubSpot ends with the participations the inputs imply, and
 * everything finished was committed.
 *
 *   npx tsx examples/testYourPipeline.ts
 *
 * In a vitest suite the same steps read:
 *
 *   let kafka: KafkaBroker
 *   beforeAll(async () => { kafka = await startKafka() }, 180_000)
 *   afterAll(() => kafka.stop())
 *   it('gives every record one outcome', () => checkPipeline({ brokers: kafka.brokers }))
 */
import assert from 'node:assert/strict'
import { isLeft } from 'fp-ts/lib/Either.js'
import { Kafka, logLevel } from 'kafkajs'
// in your project: import { attendancePipeline, resolvePipelineConfig } from 'attendance-stream'
import { attendancePipeline, resolvePipelineConfig } from '../src/index.js'
// in your project: import { … } from 'attendance-stream/testing'
import {
  auditOutcomes,
  committedOffsets,
  endOffsets,
  expectedParticipations,
  generateAttendance,
  produceRecords,
  startHubSpotSimulator,
} from '../src/testing/index.js'
import { createExampleTopics, isMain, runExample, waitUntil } from './support/exampleEnvironment.js'

export interface CheckPipelineOptions {
  readonly brokers: readonly string[]
  /** Default 1,000. */
  readonly records?: number
  readonly log?: (line: string) => void
}

export interface PipelineCheck {
  readonly records: number
  readonly results: number
  readonly errors: number
  /** Requests the simulator failed on purpose (5xx or a reset connection), which the sink retried. */
  readonly faultsInjected: number
  readonly retries: number
  /** (event, contact) participations HubSpot ended with. */
  readonly participations: number
}

/** Runs the pipeline against the simulator and throws (node:assert) if a guarantee does not hold. */
export async function checkPipeline(options: CheckPipelineOptions): Promise<PipelineCheck> {
  const log = options.log ?? console.log
  // The first requests fail for sure (a 503, a 502, a dropped connection), then 5% at random, with a little
  // latency: the retries must not cost an outcome, nor write one twice.
  const simulator = await startHubSpotSimulator({
    events: 'auto',
    contacts: 'auto',
    faults: {
      script: [{ status: 503 }, { status: 502 }, 'reset'],
      errorRate: 0.05,
      latency: { minMs: 2, maxMs: 20 },
    },
    seed: 2,
  })
  try {
    const topics = await createExampleTopics(options.brokers, 'check', 4)
    // Seeded: a failure can be replayed with the same records.
    const records = [
      ...generateAttendance(options.records ?? 1_000, { seed: 9, badShare: 0.1, contacts: 300 }),
    ]
    await produceRecords(options.brokers, topics.input, records)

    const config = resolvePipelineConfig({
      kafka: {
        brokers: [...options.brokers],
        groupId: topics.groupId,
        inputTopics: [topics.input],
        resultsTopic: topics.results,
        errorsTopic: topics.errors,
      },
      hubspot: { accounts: { default: { baseUrl: simulator.url, token: simulator.token } } },
      batching: { maxWaitMs: 200 },
      // Short backoff keeps the test fast; the attempts are what is under test, not the waiting.
      retry: { baseDelayMs: 20, maxDelayMs: 200 },
    })
    if (isLeft(config)) throw new Error(`bad configuration:\n${config.left.join('\n')}`)
    const pipeline = attendancePipeline(config.right)
    try {
      await waitUntil('every record has an outcome', () => {
        const { results, errors } = pipeline.metrics()
        return results + errors >= records.length
      })
    } finally {
      await pipeline.stop()
    }
    await pipeline.done
    const metrics = pipeline.metrics()

    // 1. Exactly one outcome per input record, read back from the outcome topics.
    const audit = await auditOutcomes({
      brokers: options.brokers,
      inputTopics: [topics.input],
      resultsTopic: topics.results,
      errorsTopic: topics.errors,
    })
    assert.deepEqual(audit.missing, [], 'input records without an outcome')
    assert.equal(audit.missing.length + audit.outcomes.size, records.length, 'input records on the topic')
    assert.deepEqual(audit.unexpected, [], 'outcomes naming no input record')
    assert.deepEqual([...audit.duplicated], [], 'input records with several outcomes')
    const malformed = records.filter((r) => r.expected === undefined).length
    // A valid input that ended as an error record says why: the codes are what to look at first.
    const codes = new Map<string, { count: number; message: unknown }>()
    for (const { kind, record } of audit.entries) {
      if (kind !== 'error') continue
      const code = String(record['code'])
      codes.set(code, { count: (codes.get(code)?.count ?? 0) + 1, message: record['message'] })
    }
    assert.equal(
      audit.errors,
      malformed,
      `error records: one per malformed input (by code: ${JSON.stringify(Object.fromEntries(codes))})`,
    )
    assert.equal(audit.results, records.length - malformed, 'result records: one per valid input')

    // 2. HubSpot holds a participation for every (event, contact) of a valid input, in the state and at the time of
    //    its newest input: records of a contact merged into one input carry the latest time (records.md), and
    //    HubSpot keeps the newest interaction, so batching, retries and order cannot change the end state.
    const expected = expectedParticipations(records)
    const actual = simulator.participations().map((p) => ({
      key: `${p.eventKey}|${p.contact.email === undefined ? `vid:${p.contact.vid}` : `email:${p.contact.email}`}`,
      state: p.state,
      interactionDateTime: p.interactionDateTime,
    }))
    assert.deepEqual(new Set(actual.map((p) => p.key)), new Set(expected.keys()), 'participations in HubSpot')
    for (const { key, state, interactionDateTime } of actual) {
      const newest = expected.get(key)
      assert.deepEqual(
        { state, interactionDateTime },
        { state: newest?.state, interactionDateTime: newest?.interactionDateTime },
        `${key}: the newest input's state and time`,
      )
    }

    // 3. Everything finished was committed: a restart would not redo any of it.
    const admin = new Kafka({ brokers: [...options.brokers], logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    try {
      assert.deepEqual(
        await committedOffsets(admin, topics.groupId, [topics.input]),
        await endOffsets(admin, [topics.input]),
        'committed offsets',
      )
    } finally {
      await admin.disconnect()
    }

    const check: PipelineCheck = {
      records: records.length,
      results: audit.results,
      errors: audit.errors,
      faultsInjected: simulator.counters().faults.status + simulator.counters().faults.reset,
      retries: metrics.sink.accounts['default']?.retries ?? 0,
      participations: actual.length,
    }
    log(`all checks passed: ${JSON.stringify(check)}`)
    return check
  } finally {
    await simulator.stop()
  }
}

/** The example's entry point, named like the others'. */
export const main = checkPipeline

if (isMain(import.meta.url)) {
  // This example starts its own simulator, so only Kafka comes from the environment.
  await runExample((env) => checkPipeline({ brokers: env.brokers }))
}
