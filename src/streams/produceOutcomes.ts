import type { Producer, TopicMessages } from 'kafkajs'
import {
  asyncScheduler,
  bufferTime,
  concatMap,
  filter,
  from,
  map,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs'
import type { OutcomeMessage } from './outcomeMessages.js'

/** Settings of {@link produceOutcomes}. */
export interface ProduceOutcomesOptions {
  /** How long an outcome may wait for others to share its produce request. Default 10 ms. */
  readonly lingerMs?: number
  /** Outcomes per produce request at most. Default 1,000. */
  readonly maxMessages?: number
  readonly scheduler?: SchedulerLike
}

/**
 * Writes outcome messages to Kafka and emits each group once Kafka has acknowledged it — only then may the
 * offsets of their input records be committed.
 *
 * ```text
 * outcomes:  -a-b-----c-|
 * produced:  ----[a b]--[c]|     (after the broker's ack of each request; one request in flight at a time)
 * ```
 *
 * The producer should be idempotent with `acks: -1` (all in-sync replicas), so a retried request neither
 * duplicates nor reorders what it writes. A send that fails after kafkajs's own retries errors the stream: an
 * infrastructure fault, after which nothing more is committed.
 */
export function produceOutcomes(
  producer: Producer,
  options: ProduceOutcomesOptions = {},
): OperatorFunction<OutcomeMessage, readonly OutcomeMessage[]> {
  const lingerMs = options.lingerMs ?? 10
  const maxMessages = options.maxMessages ?? 1_000
  const scheduler = options.scheduler ?? asyncScheduler
  return (outcomes) =>
    outcomes.pipe(
      bufferTime(lingerMs, null, maxMessages, scheduler),
      filter((group) => group.length > 0),
      concatMap((group) =>
        from(producer.sendBatch({ topicMessages: byTopic(group), acks: -1 })).pipe(map(() => group)),
      ),
    )
}

const byTopic = (group: readonly OutcomeMessage[]): TopicMessages[] => {
  const topics = new Map<string, TopicMessages>()
  for (const { topic, key, value, headers } of group) {
    let entry = topics.get(topic)
    if (entry === undefined) {
      entry = { topic, messages: [] }
      topics.set(topic, entry)
    }
    entry.messages.push({ key, value, headers: { ...headers } })
  }
  return [...topics.values()]
}
