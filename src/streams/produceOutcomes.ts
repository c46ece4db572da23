import type { Producer, TopicMessages } from 'kafkajs'
import {
  asyncScheduler,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs'
import type { OutcomeMessage } from './outcomeMessages.js'

/** How `produceOutcomes` groups outcome messages into produce requests. */
export interface ProduceOutcomesOptions {
  /** How long an outcome may wait for others to share its request when no request is in flight. Default 5 ms. */
  readonly lingerMs?: number
  /** Outcomes per produce request at most. Default 5,000. */
  readonly maxMessages?: number
  /**
   * Bytes per produce request at most (keys, values and headers, plus an allowance per message). Default
   * 900,000: under the broker's default `message.max.bytes` (1 MiB per partition's batch) even when every
   * message of a request lands in one partition. A single larger message still goes alone.
   */
  readonly maxRequestBytes?: number
  readonly scheduler?: SchedulerLike
}

/**
 * Writes outcome messages to Kafka and emits each group once Kafka has acknowledged it — only then may the
 * offsets of their input records be committed.
 *
 * ```text
 * outcomes:  -a-b-----c-d-e-f-|
 * produced:  ----[a b]----[c]------[d e f]|   (after each ack; one request in flight; what arrives meanwhile
 *                                             goes together in the next request)
 * ```
 *
 * One request is in flight at a time, as an idempotent kafkajs producer requires (KIP-98's original rule; kafkajs
 * keeps it), so a retried request neither duplicates nor reorders what it writes. Throughput comes from
 * coalescing instead: whatever arrives while a request is in flight is sent together as soon as it is
 * acknowledged, up to `maxMessages` and `maxRequestBytes`, the way Kafka's own producer fills its batches. When idle, a message waits at
 * most `lingerMs` for company. A send that fails after kafkajs's own retries errors the stream: an
 * infrastructure fault, after which nothing more is committed.
 */
export function produceOutcomes(
  producer: Producer,
  options: ProduceOutcomesOptions = {},
): OperatorFunction<OutcomeMessage, readonly OutcomeMessage[]> {
  const lingerMs = options.lingerMs ?? 5
  const maxMessages = options.maxMessages ?? 5_000
  const maxRequestBytes = options.maxRequestBytes ?? 900_000
  const scheduler = options.scheduler ?? asyncScheduler
  return (outcomes) =>
    new Observable<readonly OutcomeMessage[]>((subscriber) => {
      let pending: OutcomeMessage[] = []
      let sending = false
      let sourceDone = false
      let linger: Subscription | undefined

      const flush = (): void => {
        linger?.unsubscribe()
        linger = undefined
        if (sending || subscriber.closed) return
        if (pending.length === 0) {
          if (sourceDone) subscriber.complete()
          return
        }
        const size = groupSize(pending, maxMessages, maxRequestBytes)
        const group = size === pending.length ? pending : pending.slice(0, size)
        pending = size === pending.length ? [] : pending.slice(size)
        sending = true
        producer.sendBatch({ topicMessages: byTopic(group), acks: -1 }).then(
          () => {
            sending = false
            subscriber.next(group)
            flush()
          },
          (error: unknown) => subscriber.error(error),
        )
      }

      const subscription = outcomes.subscribe({
        next: (message) => {
          pending.push(message)
          if (sending) return
          if (pending.length >= maxMessages) flush()
          else linger ??= scheduler.schedule(flush, lingerMs)
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          sourceDone = true
          flush()
        },
      })
      return () => {
        subscription.unsubscribe()
        linger?.unsubscribe()
        // Unsent messages are dropped with the subscription: their records get no outcome, so no commit.
        pending = []
      }
    })
}

// Kafka's per-record overhead (length, attributes, deltas, header counts) is well under this.
const RECORD_OVERHEAD_BYTES = 70

const messageBytes = (m: OutcomeMessage): number => {
  let bytes = RECORD_OVERHEAD_BYTES + (m.key?.length ?? 0) + Buffer.byteLength(m.value)
  for (const name in m.headers) bytes += name.length + Buffer.byteLength(m.headers[name] ?? '')
  return bytes
}

/** How many of the first pending messages fit in one request (at least one). */
const groupSize = (pending: readonly OutcomeMessage[], maxMessages: number, maxBytes: number): number => {
  let bytes = 0
  const limit = Math.min(pending.length, maxMessages)
  for (let i = 0; i < limit; i++) {
    bytes += messageBytes(pending[i] as OutcomeMessage)
    if (bytes > maxBytes) return Math.max(1, i)
  }
  return limit
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
