import type { BenchKafka } from './benchKafka.js'
import { uniqueName } from './benchKafka.js'

/**
 * The outcome topics read as they are written (a consumer of its own group, from the beginning): which inputs
 * have an outcome so far, and each outcome's input partition and Kafka timestamp. Final figures come from
 * `auditOutcomes`; this says how far a run has got, while it runs.
 */
export interface OutcomeWatcher {
  /** `partition/offset` of every input with at least one outcome. */
  readonly seen: ReadonlySet<string>
  /** Every outcome read: its input's partition and the outcome record's own timestamp (epoch ms). */
  readonly written: readonly { readonly partition: number; readonly at: number }[]
  readonly stop: () => Promise<void>
}

export const watchOutcomes = async (
  kafka: BenchKafka,
  prefix: string,
  topics: { readonly results: string; readonly errors: string },
): Promise<OutcomeWatcher> => {
  const seen = new Set<string>()
  const written: { partition: number; at: number }[] = []
  const consumer = kafka.client().consumer({ groupId: uniqueName(`${prefix}-watch`), maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topics: [topics.results, topics.errors], fromBeginning: true })
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        const source = (
          JSON.parse(message.value?.toString() ?? '{}') as { source: { partition: number; offset: string } }
        ).source
        seen.add(`${source.partition}/${source.offset}`)
        written.push({ partition: source.partition, at: Number(message.timestamp) })
      }
    },
  })
  return { seen, written, stop: () => consumer.disconnect() }
}
