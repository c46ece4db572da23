import type { OperatorFunction, SchedulerLike, Subscription } from 'rxjs'
import { Observable } from 'rxjs'
import type { AttendanceBatch } from '../codecs/attendanceBatch.js'
import type { AttendanceRecord } from '../codecs/attendanceRecord.js'
import { BatchAccumulator } from './batching/batchAccumulator.js'
import type { BatchOptions } from './batching/batchOptions.js'
import { resolveBatchOptions } from './batching/batchOptions.js'

export type { BatchingStats } from './batching/batchAccumulator.js'
export { batchKeyOf, batchKeyString } from './batching/batchKey.js'
export type { BatchOptions } from './batching/batchOptions.js'
export { DEFAULT_BATCH_OPTIONS } from './batching/batchOptions.js'
export { toSubscriberInput } from './batching/subscriberInput.js'

const describeThrown = (error: unknown): string => {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  } catch {
    return 'an exception that cannot be shown'
  }
}

// The sink never sends a failed batch, so its key only needs to exist; the record itself may be what threw.
const contactKindOrVid = (record: AttendanceRecord): 'vid' | 'email' => {
  try {
    return 'email' in record.contact ? 'email' : 'vid'
  } catch {
    return 'vid'
  }
}

/** The batch of one record batching threw on: no inputs, a `failure`, so the sink answers INTERNAL for it. */
const failedBatch = (
  record: AttendanceRecord,
  error: unknown,
  nextId: () => string,
  scheduler: SchedulerLike,
): AttendanceBatch => {
  const now = scheduler.now()
  return {
    id: nextId(),
    key: {
      account: record.account,
      event: record.event,
      subscriberState: record.subscriberState,
      contactKind: contactKindOrVid(record),
    },
    inputs: [],
    records: [record],
    bytes: 0,
    openedAt: now,
    closedAt: now,
    failure: { message: `batching threw: ${describeThrown(error)}` },
  }
}

/**
 * Groups attendance records into HubSpot-sized batches per key (account, event, subscriber state, vid or email),
 * each closed by contact count, request bytes or age, whichever comes first.
 *
 * ```text
 * maxBatchSize 2, maxWaitMs 8; a, b, c are contacts of one key, d of another; one frame = 1 ms
 *
 * records:  -a-b-c-d----------|
 * batches:  ---x---------y-z--|     x = [a b]: full at b;  y = [c]: 8 ms after c;  z = [d]: 8 ms after d
 *
 * records:  -a-d-|
 * batches:  -----(xy|)              completion flushes every open batch, oldest first
 *
 * records:  -a-d-#
 * batches:  -----#                  an error drops what is open, as bufferTime does
 * ```
 *
 * A batch is emitted when it holds `maxBatchSize` distinct contacts; when the next record would push
 * `JSON.stringify({ inputs })` over `maxBatchBytes` (the batch leaves and that record starts the next one);
 * `maxWaitMs` after its first record arrived; or when `maxOpenBatches` batches are open and a new key arrives
 * (the oldest leaves early). A record whose input alone is over `maxBatchBytes` is emitted at once, alone — HubSpot
 * may still take it, and it could never share a request anyway.
 *
 * Records of one contact (vid, or email case-insensitively) merge into one input: latest
 * `interactionDateTime`, earliest `joinedAt`, latest `leftAt`, other properties as first seen, `contactProperties`
 * per key from the latest record. `batch.records` keeps every source record, in arrival order, so each gets its
 * own outcome. Nothing of a key is kept once its batch is emitted, so millions of keys a day cost nothing after
 * their batches leave.
 *
 * Emissions are queued: if a subscriber makes the source emit (or complete) while it is handed a batch, the
 * new batches follow after the current one, never nested inside it. On source error the open batches are
 * dropped and the error passes on at once, as `bufferTime` does: their records have no outcome yet, so the
 * consumer must not commit their offsets, and a restart replays them.
 *
 * A record the batching code throws on (a bug, or a record nobody foresaw) leaves at once as a batch of its own with
 * no inputs and a `failure`: the sink answers `Failed` INTERNAL for it without sending, so it gets an error record
 * instead of erroring the stream (which would restart the member and replay the record forever).
 *
 * Time comes from `scheduler` only: `openedAt`/`closedAt` are `scheduler.now()`, and one scheduled action at a
 * time (due at the oldest open batch's deadline) serves every key, so 10,000 open batches cost one timer.
 *
 * @example
 * import { from } from 'rxjs'
 * import { batchAttendance } from 'attendance-stream'
 * import type { AttendanceBatch, AttendanceRecord } from 'attendance-stream'
 *
 * const records: AttendanceRecord[] = loadRecords()
 * const batches: AttendanceBatch[] = []
 * from(records)
 *   .pipe(batchAttendance({ maxBatchSize: 100, maxWaitMs: 500, idPrefix: 'demo-' }))
 *   .subscribe((batch) => batches.push(batch))
 * // (type-checked and run in test/streams/batchAttendance.example.test.ts)
 *
 * @param options `maxBatchSize` (100), `maxBatchBytes` (512 KiB), `maxWaitMs` (1000), `maxOpenBatches` (10,000),
 * `scheduler` (`asyncScheduler`), `idPrefix`, `onStats` — see {@link BatchOptions}.
 * @throws AttendanceStreamError `INVALID_CONFIG` at once, for an option out of range.
 */
export function batchAttendance(
  options: BatchOptions = {},
): OperatorFunction<AttendanceRecord, AttendanceBatch> {
  const settings = resolveBatchOptions(options)
  const { scheduler, onStats, sendCapacity } = settings
  return (source) =>
    new Observable<AttendanceBatch>((subscriber) => {
      const nextId = settings.newIdSource()
      const accumulator = new BatchAccumulator(settings, nextId, sendCapacity !== undefined)
      // Emissions go through one queue drained by the outermost call, so a subscriber that feeds the source
      // from inside next() can't get batches out of order, or lose sealed ones to a nested completion.
      let queue: AttendanceBatch[] = []
      let head = 0
      let draining = false
      let completing = false
      // One timer for the whole operator, due at the oldest open batch's deadline (the accumulator keeps batches
      // in deadline order). A batch that leaves early leaves the timer alone: when it fires with nothing due it
      // re-arms for the new oldest batch. That is one wasted wake-up at most, against a timer per batch.
      let timer: Subscription | undefined

      const stop = (): void => {
        timer?.unsubscribe()
        timer = undefined
        accumulator.clear()
        queue = []
        head = 0
      }
      const fail = (err: unknown): void => {
        stop()
        subscriber.error(err)
      }
      const report = (): boolean => {
        if (onStats === undefined) return true
        try {
          onStats(accumulator.stats)
          return true
        } catch (err) {
          fail(err)
          return false
        }
      }
      const drain = (): void => {
        if (draining) return
        draining = true
        try {
          while (head < queue.length && !subscriber.closed) {
            const batch = queue[head]!
            head += 1
            subscriber.next(batch)
          }
        } finally {
          draining = false
          queue = []
          head = 0
        }
        if (completing) subscriber.complete()
      }
      const emit = (batches: readonly AttendanceBatch[]): void => {
        for (const batch of batches) queue.push(batch)
        drain()
      }
      /**
       * Lets ready batches of `account` go while the sink has slots for them, the best first (chooseBatch). Each
       * batch handed on claims its slot at once (the sink counts it synchronously), so `available` shrinks as
       * we go; the bound on the loop also covers a batch that is only queued because we are already emitting.
       */
      const dispatch = (account: string): void => {
        if (sendCapacity === undefined) return
        let slots = sendCapacity.available(account)
        while (slots > 0 && !subscriber.closed) {
          const batch = accumulator.take(account, scheduler.now(), settings)
          if (batch === undefined || !report()) return
          emit([batch])
          slots = Math.min(slots - 1, sendCapacity.available(account))
        }
      }
      const dispatchEach = (accounts: readonly string[]): void => {
        for (const account of new Set(accounts)) dispatch(account)
      }
      const onDeadline = (): void => {
        timer = undefined
        if (sendCapacity !== undefined) {
          const accounts = accumulator.markDue(scheduler.now())
          arm()
          dispatchEach(accounts)
          return
        }
        const due = accumulator.sealDue(scheduler.now())
        arm()
        if (due.length > 0 && report()) emit(due)
      }
      const arm = (): void => {
        const deadline = accumulator.nextDeadline
        if (timer !== undefined || deadline === undefined || subscriber.closed) return
        const action = scheduler.schedule(onDeadline, Math.max(0, deadline - scheduler.now()))
        // A scheduler may run a due action inside schedule(); then onDeadline has already re-armed.
        if (!action.closed) timer = action
      }

      subscriber.add(stop)
      if (sendCapacity !== undefined) {
        subscriber.add(
          sendCapacity.changes.subscribe((account) => {
            if (accumulator.hasReady(account)) dispatch(account)
          }),
        )
      }
      subscriber.add(
        source.subscribe({
          next: (record) => {
            // A synchronous source keeps pushing after the subscriber is gone, until subscribe() returns.
            if (subscriber.closed) return
            let added: ReturnType<BatchAccumulator['add']>
            try {
              added = accumulator.add(record, scheduler.now())
            } catch (error) {
              // Adding is planned before anything is changed (OpenBatch.plan), so the open batches are intact.
              emit([failedBatch(record, error, nextId, scheduler)])
              return
            }
            const { opened, sealed, ready } = added
            if (opened) arm()
            if (ready.length > 0) return dispatchEach(ready)
            if (!opened && sealed.length === 0) return
            if (report()) emit(sealed)
          },
          error: fail,
          complete: () => {
            timer?.unsubscribe()
            timer = undefined
            const rest = accumulator.drain(scheduler.now())
            completing = true
            if (report()) emit(rest)
          },
        }),
      )
    })
}
