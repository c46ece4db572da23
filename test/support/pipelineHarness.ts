import { isLeft } from 'fp-ts/lib/Either.js'
import type { PipelineConfig } from '../../src/config/pipelineConfig.js'
import { resolvePipelineConfig } from '../../src/config/pipelineConfig.js'
import type { GeneratedRecord } from '../../src/testing/attendanceGenerator.js'
import { auditOutcomes, type OutcomeAudit } from '../../src/testing/outcomeAudit.js'
import type { HubSpotSimulator } from '../../src/testing/simulator/index.js'
import { createTopic, testBrokers, testKafka, uniqueName } from './kafka.js'

/** Topics and a group of one pipeline test, all unique to it. */
export interface PipelineTopics {
  readonly input: string
  readonly results: string
  readonly errors: string
  readonly groupId: string
}

export const createPipelineTopics = async (partitions: number): Promise<PipelineTopics> => {
  const topics = {
    input: uniqueName('scans'),
    results: uniqueName('results'),
    errors: uniqueName('errors'),
    groupId: uniqueName('group'),
  }
  await createTopic(topics.input, partitions)
  await createTopic(topics.results, 3)
  await createTopic(topics.errors, 3)
  return topics
}

/** Produces the records in chunks, spread over partitions by key (kafkajs's default partitioner). */
export const produceRecords = async (topic: string, records: readonly GeneratedRecord[]): Promise<void> => {
  const producer = testKafka().producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  try {
    for (let from = 0; from < records.length; from += 2_000) {
      await producer.send({
        topic,
        messages: records.slice(from, from + 2_000).map(({ key, value }) => ({ key, value })),
      })
    }
  } finally {
    await producer.disconnect()
  }
}

/** A resolved pipeline config for a test: the run's broker, the simulator, small batching waits. */
export const testPipelineConfig = (
  topics: PipelineTopics,
  sim: HubSpotSimulator,
  overrides: Record<string, unknown> = {},
): PipelineConfig => {
  const input = {
    kafka: {
      brokers: testBrokers(),
      groupId: topics.groupId,
      inputTopics: [topics.input],
      resultsTopic: topics.results,
      errorsTopic: topics.errors,
      sessionTimeoutMs: 10_000,
    },
    hubspot: { accounts: { default: { token: sim.token, baseUrl: sim.url, requestsPer10s: 1_000 } } },
    batching: { maxWaitMs: 200 },
    retry: { baseDelayMs: 50, maxDelayMs: 1_000 },
    limits: { commitIntervalMs: 500 },
    ...overrides,
  }
  const resolved = resolvePipelineConfig(input)
  if (isLeft(resolved)) throw new Error(`bad test config: ${resolved.left.join('; ')}`)
  return resolved.right
}

/** Polls `condition` every 100 ms until it holds, or throws after `timeoutMs` with `what`. */
export const waitUntil = async (
  what: string,
  condition: () => boolean,
  timeoutMs = 120_000,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Reads the outcome topics back until every input has an outcome (or `timeoutMs` passed), and returns the audit. */
export const auditUntilComplete = (topics: PipelineTopics, timeoutMs = 120_000): Promise<OutcomeAudit> =>
  auditTopicsUntilComplete({ ...topics, inputs: [topics.input] }, timeoutMs)

/** {@link auditUntilComplete} for a pipeline reading several input topics. */
export const auditTopicsUntilComplete = async (
  topics: { readonly inputs: readonly string[]; readonly results: string; readonly errors: string },
  timeoutMs = 120_000,
): Promise<OutcomeAudit> => {
  const audit = () =>
    auditOutcomes({
      brokers: testBrokers(),
      inputTopics: topics.inputs,
      resultsTopic: topics.results,
      errorsTopic: topics.errors,
    })
  const deadline = Date.now() + timeoutMs
  let last = await audit()
  while (last.missing.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    last = await audit()
  }
  return last
}
