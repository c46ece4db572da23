import {
  asyncScheduler,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs'
import type { ProducedMessage } from './kafkaPort.js'

/** How `produceOutcomes` groups messages into produce requests and retries the ones Kafka did not take. */
export interface ProduceOutcomesOptions {
  /** How long a message may wait for others to share its request when no request is in flight. Default 5 ms. */
  readonly lingerMs?: number
  /** Messages per produce request at most. Default 5,000. */
  readonly maxMessages?: number
  /**
   * Bytes per produce request at most (keys, values and headers, plus an allowance per message). Default
   * 900,000: under the broker's default `message.max.bytes` (1 MiB per partition's batch) even when every
   * message of a request lands in one partition. A single larger message still goes alone.
   */
  readonly maxRequestBytes?: number
  /** First wait before a failed request is sent again; doubles up to `maxRetryDelayMs`. Default 500 ms. */
  readonly retryDelayMs?: number
  /** Longest wait between two tries of one request. Default 30,000 ms. */
  readonly maxRetryDelayMs?: number
  /** Called when a request failed and will be sent again after `delayMs` (e.g. to log a warning). */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void
  readonly scheduler?: SchedulerLike
}

/**
 * Writes messages through `send` and emits each group once Kafka has acknowledged it — only then may the
 * offsets of their input records be committed.
 *
 * ```text
 * messages:  -a-b-----c-d-e-f-|
 * produced:  ----[a b]----[c]------[d e f]|   (after each ack; one request in flight; what arrives meanwhile
 *                                             goes together in the next request)
 * ```
 *
 * One request is in flight at a time, as an idempotent producer requires (KIP-98's original rule; kafkajs keeps
 * it), so a request neither duplicates nor reorders what it writes. Throughput comes from coalescing instead:
 * whatever arrives while a request is in flight is sent together as soon as it is acknowledged, up to
 * `maxMessages` and `maxRequestBytes`, the way Kafka's own producer fills its batches. When idle, a message waits
 * at most `lingerMs` for company.
 *
 * A request that fails (the client's own retries are spent: a broker restarting, a network partition) is sent
 * again after a capped exponential backoff, for as long as it takes: Kafka is the buffer, and an outcome that
 * cannot be written yet is not lost, only late — its record stays unfinished and its offset uncommitted, so
 * backpressure pauses fetching meanwhile. A retried request may write its messages twice (at least once).
 */
export function produceOutcomes<M extends ProducedMessage>(
  send: (messages: readonly M[]) => Promise<void>,
  options: ProduceOutcomesOptions = {},
): OperatorFunction<M, readonly M[]> {
  const lingerMs = options.lingerMs ?? 5
  const maxMessages = options.maxMessages ?? 5_000
  const maxRequestBytes = options.maxRequestBytes ?? 900_000
  const retryDelayMs = options.retryDelayMs ?? 500
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000
  const scheduler = options.scheduler ?? asyncScheduler
  return (messages) =>
    new Observable<readonly M[]>((subscriber) => {
      let pending: M[] = []
      let sending = false
      let sourceDone = false
      let timer: Subscription | undefined

      const attempt = (group: readonly M[], tries: number): void => {
        send(group).then(
          () => {
            if (subscriber.closed) return
            sending = false
            subscriber.next(group)
            flush()
          },
          (error: unknown) => {
            if (subscriber.closed) return
            const delayMs = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** Math.min(tries - 1, 20))
            options.onRetry?.(error, tries, delayMs)
            timer = scheduler.schedule(() => attempt(group, tries + 1), delayMs)
          },
        )
      }

      const flush = (): void => {
        timer?.unsubscribe()
        timer = undefined
        if (sending || subscriber.closed) return
        if (pending.length === 0) {
          if (sourceDone) subscriber.complete()
          return
        }
        const size = groupSize(pending, maxMessages, maxRequestBytes)
        const group = size === pending.length ? pending : pending.slice(0, size)
        pending = size === pending.length ? [] : pending.slice(size)
        sending = true
        attempt(group, 1)
      }

      const subscription = messages.subscribe({
        next: (message) => {
          pending.push(message)
          if (sending) return
          if (pending.length >= maxMessages) flush()
          else timer ??= scheduler.schedule(flush, lingerMs)
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          sourceDone = true
          if (!sending) flush()
        },
      })
      return () => {
        subscription.unsubscribe()
        timer?.unsubscribe()
        // Unsent messages are dropped with the subscription: their records get no outcome, so no commit.
        pending = []
      }
    })
}

// Kafka's per-record overhead (length, attributes, deltas, header counts) is well under this.
const RECORD_OVERHEAD_BYTES = 70

const messageBytes = (m: ProducedMessage): number => {
  let bytes = RECORD_OVERHEAD_BYTES + (m.key?.length ?? 0) + Buffer.byteLength(m.value)
  for (const name in m.headers) bytes += name.length + Buffer.byteLength(m.headers[name] ?? '')
  return bytes
}

/** How many of the first pending messages fit in one request (at least one). */
const groupSize = (pending: readonly ProducedMessage[], maxMessages: number, maxBytes: number): number => {
  let bytes = 0
  const limit = Math.min(pending.length, maxMessages)
  for (let i = 0; i < limit; i++) {
    bytes += messageBytes(pending[i] as ProducedMessage)
    if (bytes > maxBytes) return Math.max(1, i)
  }
  return limit
}
