import type { Consumer, EachBatchPayload } from 'kafkajs'
import { Observable } from 'rxjs'
import type { KafkaRecord } from '../codecs/attendanceRecord.js'
import { AttendanceStreamError } from '../errors.js'
import type { OffsetTracker, TopicPartition } from './offsetTracker.js'

/** What `createKafkaSource` needs. */
export interface KafkaSourceOptions {
  /** A kafkajs consumer, created but not connected; the source connects, runs and disconnects it. */
  readonly consumer: Consumer
  readonly topics: readonly string[]
  readonly fromBeginning?: boolean
  readonly tracker: OffsetTracker
  /** Unfinished records above which the member pauses fetching. Default 10,000. */
  readonly maxInFlightRecords?: number
  /** kafkajs heartbeat interval, used while paused. Default 3,000 ms. */
  readonly heartbeatIntervalMs?: number
  /** Partitions fetched concurrently by kafkajs. Default 3. */
  readonly partitionsConsumedConcurrently?: number
  /** The member's new assignment after each join, and the total number of input partitions. */
  readonly onAssignment?: (assignment: readonly TopicPartition[]) => void
  /** The group is rebalancing: commit finished work now, the generation is about to end. */
  readonly onRebalancing?: () => Promise<void>
  /** Per batch fetched: the partition's high watermark (for lag). */
  readonly onHighWatermark?: (topic: string, partition: number, highWatermark: string) => void
  /** Fetching paused (true) or resumed (false) for backpressure. */
  readonly onPause?: (paused: boolean) => void
}

/** A member's records and the levers the pipeline pulls on it. */
export interface KafkaSource {
  /** Subscribe once: connects, joins the group and emits records until `stopFetching()`. */
  readonly records: Observable<KafkaRecord>
  /** Call after completions: resumes fetching once in-flight records fell to half the high-water mark. */
  relieve(): void
  /** Stops handing over records (the batch in hand is cut short) and completes `records`; stays in the group. */
  stopFetching(): void
  /** Commits through the group's current generation. */
  commit(offsets: readonly { topic: string; partition: number; offset: string }[]): Promise<void>
  /** Leaves the group and closes the connections. */
  disconnect(): Promise<void>
  /** The partitions this member owns since its last join. */
  readonly assignment: () => readonly TopicPartition[]
  /** True while fetching is paused for backpressure. */
  readonly paused: () => boolean
}

/**
 * A kafkajs consumer-group member as an Observable of records, with real backpressure and offsets left to the
 * caller's {@link OffsetTracker}.
 *
 * ```text
 * Kafka:     [p0: 0 1 2] [p1: 0 1] ... (fetched batches)
 * records:   --0--1--2--0--1--........ (tracked before they are emitted; never auto-committed)
 * inFlight reaches maxInFlightRecords → the member stops mid-batch and pauses; ≤ half of it after `relieve()` → resumes
 * stopFetching() → the Observable completes once the batch in hand is handed over
 * ```
 *
 * Why it is shaped like this:
 * - `eachBatch` only hands records over (synchronously, tracked first) and returns, so kafkajs's loop keeps
 *   fetching and heartbeating while the slow work (batching, HubSpot, producing outcomes) happens downstream.
 *   kafkajs heartbeats only between batches (#708); while paused, a timer heartbeats on its behalf.
 * - Offsets are *resolved* as records are handed over (that is kafkajs's fetch position) but never committed
 *   here: `autoCommit` is off and the pipeline commits what the tracker says is safe.
 * - kafkajs has no partition-revoked callback (#916). A rebalance shows as `REBALANCING` (emitted when a
 *   fetch or heartbeat is told the group is rebalancing, before rejoining) followed by `GROUP_JOIN` with the
 *   new assignment. On every `GROUP_JOIN` kafkajs restarts each assigned partition from its *committed* offset,
 *   so the tracker's state of every partition is dropped (a new epoch): completions of work fetched before the
 *   rebalance are then ignored, nothing is committed for partitions this member no longer owns, and a partition
 *   it keeps is re-read from its committed offset (duplicates, never loss). `onRebalancing` gives the caller a
 *   last chance to commit finished work while the old generation is still valid.
 */

export function createKafkaSource(options: KafkaSourceOptions): KafkaSource {
  const { consumer, tracker } = options
  const highWater = options.maxInFlightRecords ?? 10_000
  const lowWater = Math.floor(highWater / 2)
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 3_000
  const topicList = options.topics.map((topic) => ({ topic }))

  let assignment: TopicPartition[] = []
  let isPaused = false
  let stopping = false
  let heartbeat: (() => Promise<void>) | undefined
  let heartbeatTimer: NodeJS.Timeout | undefined
  let finish: (() => void) | undefined

  // kafkajs heartbeats only from its fetch loop; keep the membership alive while nothing is fetched.
  const keepHeartbeating = (): void => {
    if (heartbeatTimer !== undefined) return
    heartbeatTimer = setInterval(() => {
      heartbeat?.().catch(() => undefined) // a rebalance error here is seen and handled by kafkajs's own loop
    }, heartbeatIntervalMs)
    heartbeatTimer.unref()
  }
  const stopHeartbeating = (): void => {
    clearInterval(heartbeatTimer)
    heartbeatTimer = undefined
  }

  const pause = (): void => {
    if (isPaused || stopping) return
    isPaused = true
    consumer.pause(topicList)
    options.onPause?.(true)
    keepHeartbeating()
  }

  const resume = (): void => {
    if (!isPaused || stopping) return
    isPaused = false
    stopHeartbeating()
    consumer.resume(topicList)
    options.onPause?.(false)
  }

  const records = new Observable<KafkaRecord>((subscriber) => {
    const { GROUP_JOIN, REBALANCING, CRASH } = consumer.events
    const removers = [
      consumer.on(GROUP_JOIN, (event) => {
        assignment = Object.entries(event.payload.memberAssignment).flatMap(([topic, partitions]) =>
          partitions.map((partition) => ({ topic, partition })),
        )
        // Every assigned partition restarts from its committed offset: forget all partition state. The
        // forgotten records stop counting as in flight, so a member paused for backpressure may resume now
        // (waiting for their outcomes could take until a daily reset).
        tracker.revokeAllExcept([])
        relieve()
        options.onAssignment?.(assignment)
      }),
      consumer.on(REBALANCING, () => {
        options.onRebalancing?.().catch(() => undefined)
      }),
      consumer.on(CRASH, (event) => {
        // kafkajs restarts itself after retriable crashes; one it gives up on ends the source.
        if (!event.payload.restart) {
          subscriber.error(
            new AttendanceStreamError(
              'KAFKA_UNAVAILABLE',
              `the Kafka consumer crashed: ${event.payload.error.message}`,
              {
                cause: event.payload.error,
                retryable: true,
              },
            ),
          )
        }
      }),
    ]

    const eachBatch = async ({
      batch,
      resolveOffset,
      heartbeat: beat,
      isRunning,
      isStale,
    }: EachBatchPayload) => {
      heartbeat = beat
      options.onHighWatermark?.(batch.topic, batch.partition, batch.highWatermark)
      for (const message of batch.messages) {
        if (stopping || !isRunning() || isStale() || subscriber.closed) break
        if (tracker.inFlight >= highWater) {
          // The rest of this batch stays unresolved: kafkajs fetches it again from here after resume(), so
          // a fetch of several partitions' worth of records cannot overshoot the high-water mark.
          pause()
          break
        }
        try {
          tracker.track(batch.topic, batch.partition, message.offset)
        } catch {
          // Already tracked in this epoch (kafkajs re-delivered after a retry): its outcome is on its way.
          resolveOffset(message.offset)
          continue
        }
        subscriber.next({
          topic: batch.topic,
          partition: batch.partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key,
          value: message.value,
          headers: message.headers as KafkaRecord['headers'],
        })
        resolveOffset(message.offset)
      }
    }

    const start = async () => {
      await consumer.connect()
      await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? true })
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 3,
        eachBatch,
      })
    }
    finish = () => subscriber.complete()
    // stopFetching() before anyone subscribed: nothing to fetch, nothing to wait for.
    if (stopping) {
      subscriber.complete()
      return
    }
    start().catch((error: unknown) =>
      subscriber.error(
        new AttendanceStreamError(
          'KAFKA_UNAVAILABLE',
          `could not join the consumer group: ${messageOf(error)}`,
          {
            cause: error,
            retryable: true,
          },
        ),
      ),
    )
    return () => {
      stopping = true
      stopHeartbeating()
      for (const remove of removers) remove()
    }
  })

  function relieve(): void {
    if (isPaused && tracker.inFlight <= lowWater) resume()
  }

  return {
    records,
    relieve,
    stopFetching: () => {
      if (stopping) return
      // Paused, not stopped: kafkajs's stop() leaves the group, and the final commit still needs the generation.
      consumer.pause(topicList)
      keepHeartbeating()
      stopping = true
      finish?.()
    },
    commit: async (offsets) => {
      if (offsets.length > 0) await consumer.commitOffsets(offsets.map((o) => ({ ...o })))
    },
    disconnect: async () => {
      stopping = true
      stopHeartbeating()
      await consumer.disconnect()
    },
    assignment: () => assignment,
    paused: () => isPaused,
  }
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))
