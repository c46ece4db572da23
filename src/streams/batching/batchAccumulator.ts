import type { AttendanceBatch } from '../../codecs/attendanceBatch.js'
import type { AttendanceRecord } from '../../codecs/attendanceRecord.js'
import { batchKeyOf, recordKeyString } from './batchKey.js'
import { OpenBatch } from './openBatch.js'

export interface BatchLimits {
  readonly maxBatchSize: number
  readonly maxBatchBytes: number
  readonly maxWaitMs: number
  readonly maxOpenBatches: number
}

/** How much the batching stage holds right now: for a gauge, and for tests that state is released. */
export interface BatchingStats {
  readonly openBatches: number
  readonly bufferedRecords: number
}

export interface AddResult {
  /** Whether the record opened a batch that is still open (its deadline may need a timer). */
  readonly opened: boolean
  /** Batches this record closed, in the order they were sealed. */
  readonly sealed: readonly AttendanceBatch[]
}

const NOTHING_SEALED: readonly AttendanceBatch[] = []

/**
 * The state of keyed batching with the clock left out (the operator owns time and its one timer): at most one
 * open batch per key, at most `maxOpenBatches` in all. Every method finishes its state change before returning
 * the batches it sealed, so the caller may hand them to code that calls back in.
 *
 * Open batches form a list in opening order. Opening times never decrease and every batch waits the same
 * `maxWaitMs`, so the list is also in deadline order: the oldest batch is the one to evict and the next to time
 * out. (A Map iterates in insertion order too, but finding its first live entry after many deletions walks
 * over their tombstones, which made eviction quadratic in practice.)
 */
export class BatchAccumulator {
  private readonly byKey = new Map<string, OpenBatch>()
  private oldest: OpenBatch | undefined = undefined
  private newest: OpenBatch | undefined = undefined
  private buffered = 0

  constructor(
    private readonly limits: BatchLimits,
    private readonly nextId: () => string,
  ) {}

  get stats(): BatchingStats {
    return { openBatches: this.byKey.size, bufferedRecords: this.buffered }
  }

  /** When the oldest open batch times out, or `undefined` when none is open. */
  get nextDeadline(): number | undefined {
    return this.oldest === undefined ? undefined : this.oldest.openedAt + this.limits.maxWaitMs
  }

  add(record: AttendanceRecord, now: number): AddResult {
    const keyString = recordKeyString(record)
    const current = this.byKey.get(keyString)
    let sealed: AttendanceBatch[] | undefined
    if (current !== undefined) {
      const plan = current.plan(record)
      if (plan.bytes <= this.limits.maxBatchBytes) {
        current.commit(plan)
        this.buffered += 1
        if (current.contacts < this.limits.maxBatchSize) return { opened: false, sealed: NOTHING_SEALED }
        return { opened: false, sealed: [this.seal(current, now)] }
      }
      sealed = [this.seal(current, now)]
    } else if (this.oldest !== undefined && this.byKey.size >= this.limits.maxOpenBatches) {
      sealed = [this.seal(this.oldest, now)]
    }
    const opened = new OpenBatch(batchKeyOf(record), keyString, now)
    opened.commit(opened.plan(record))
    this.link(opened)
    this.buffered += 1
    // A record whose input alone is over maxBatchBytes can never share a request, and waiting for maxWaitMs
    // would only delay it: it leaves at once, alone.
    if (opened.contacts >= this.limits.maxBatchSize || opened.bytes > this.limits.maxBatchBytes) {
      const alone = this.seal(opened, now)
      return { opened: false, sealed: sealed === undefined ? [alone] : [...sealed, alone] }
    }
    return { opened: true, sealed: sealed ?? NOTHING_SEALED }
  }

  /** Seals every batch whose first record is `maxWaitMs` old at `now`, oldest first. */
  sealDue(now: number): AttendanceBatch[] {
    const sealed: AttendanceBatch[] = []
    while (this.oldest !== undefined && this.oldest.openedAt + this.limits.maxWaitMs <= now) {
      sealed.push(this.seal(this.oldest, now))
    }
    return sealed
  }

  /** Seals every open batch, oldest first. */
  drain(now: number): AttendanceBatch[] {
    const sealed: AttendanceBatch[] = []
    while (this.oldest !== undefined) sealed.push(this.seal(this.oldest, now))
    return sealed
  }

  /** Drops every open batch (error and teardown). */
  clear(): void {
    this.byKey.clear()
    this.oldest = undefined
    this.newest = undefined
    this.buffered = 0
  }

  private link(batch: OpenBatch): void {
    this.byKey.set(batch.keyString, batch)
    batch.older = this.newest
    if (this.newest === undefined) this.oldest = batch
    else this.newest.newer = batch
    this.newest = batch
  }

  private seal(batch: OpenBatch, now: number): AttendanceBatch {
    this.byKey.delete(batch.keyString)
    const { older, newer } = batch
    if (older === undefined) this.oldest = newer
    else older.newer = newer
    if (newer === undefined) this.newest = older
    else newer.older = older
    batch.older = undefined
    batch.newer = undefined
    this.buffered -= batch.records.length
    return batch.toBatch(this.nextId(), now)
  }
}
