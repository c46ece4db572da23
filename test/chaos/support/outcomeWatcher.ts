import type { Consumer } from 'kafkajs'
import { testKafka, uniqueName } from '../../support/kafka.js'

/**
 * Reads the outcome topics as they are written (a consumer of its own group, from the beginning), so a test can
 * wait until every input has an outcome without re-reading whole topics each time. The figures of the run come
 * from `auditOutcomes` afterwards; this only says how far the group has got.
 */
export interface OutcomeWatcher {
  /** Distinct inputs (`topic/partition/offset`) with at least one outcome so far. */
  readonly inputsWithOutcome: () => number
  /** Idempotent. */
  readonly stop: () => Promise<void>
}

export const watchOutcomes = async (topics: readonly string[]): Promise<OutcomeWatcher> => {
  const seen = new Set<string>()
  const consumer: Consumer = testKafka().consumer({
    groupId: uniqueName('chaos-watch'),
    maxWaitTimeInMs: 200,
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [...topics], fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        if (message.value === null) continue
        const { source } = JSON.parse(message.value.toString('utf8')) as {
          source: { topic: string; partition: number; offset: string }
        }
        seen.add(`${source.topic}/${source.partition}/${source.offset}`)
      }
    },
  })
  let stopped: Promise<void> | undefined
  return {
    inputsWithOutcome: () => seen.size,
    stop: () => {
      stopped ??= consumer.disconnect()
      return stopped
    },
  }
}
