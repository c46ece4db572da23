import type { AttendanceBatch } from '../../codecs/attendanceBatch.js'
import type { AttendanceRecord } from '../../codecs/attendanceRecord.js'
import { batchKeyOf, recordKeyString } from './batchKey.js'
import { OpenBatch } from './openBatch.js'

export interface BatchLimits {
  readonly maxBatchSize: number
  readonly maxBatchBytes: number
  readonly maxOpenBatches: number
}

/** How much the batching stage holds right now: for a gauge, and for tests that state is released. */
export interface BatchingStats {
  readonly openBatches: number
  readonly bufferedRecords: number
}

export interface AddResult {
  /** The batch this record opened, if it is still open: it needs its maxWaitMs timer. */
  readonly opened: OpenBatch | undefined
  /** Batches this record closed, in the order they were sealed. */
  readonly sealed: readonly AttendanceBatch[]
}

/**
 * The state of keyed batching with every time concern left out (the operator owns the clock and the timers):
 * at most one open batch per key, at most `maxOpenBatches` in all. Every method finishes its state change before
 * returning the batches it sealed, so the caller may emit them to code that calls back in.
 */
export class BatchAccumulator {
  // A Map iterates in insertion order, and a key whose batch is sealed is deleted before it is opened again, so
  // the first entry is always the oldest open batch.
  private readonly open = new Map<string, OpenBatch>()
  private buffered = 0

  constructor(
    private readonly limits: BatchLimits,
    private readonly nextId: () => string,
  ) {}

  get stats(): BatchingStats {
    return { openBatches: this.open.size, bufferedRecords: this.buffered }
  }

  add(record: AttendanceRecord, now: number): AddResult {
    const keyString = recordKeyString(record)
    const current = this.open.get(keyString)
    const sealed: AttendanceBatch[] = []
    if (current !== undefined) {
      const plan = current.plan(record)
      if (plan.bytes <= this.limits.maxBatchBytes) {
        current.commit(plan)
        this.buffered += 1
        if (current.contacts >= this.limits.maxBatchSize) sealed.push(this.seal(current, now))
        return { opened: undefined, sealed }
      }
      sealed.push(this.seal(current, now))
    } else if (this.open.size >= this.limits.maxOpenBatches) {
      const oldest = this.open.values().next().value
      if (oldest !== undefined) sealed.push(this.seal(oldest, now))
    }
    const opened = new OpenBatch(batchKeyOf(record), keyString, now)
    opened.commit(opened.plan(record))
    this.open.set(keyString, opened)
    this.buffered += 1
    // A record whose input alone is over maxBatchBytes can never share a request, and waiting for maxWaitMs
    // would only delay it: it leaves at once, alone.
    if (opened.contacts >= this.limits.maxBatchSize || opened.bytes > this.limits.maxBatchBytes) {
      sealed.push(this.seal(opened, now))
      return { opened: undefined, sealed }
    }
    return { opened, sealed }
  }

  /** Seals `batch` if it is still the open batch of its key (its timer may race an earlier seal). */
  sealIfOpen(batch: OpenBatch, now: number): AttendanceBatch | undefined {
    return this.open.get(batch.keyString) === batch ? this.seal(batch, now) : undefined
  }

  /** Seals every open batch, oldest first. */
  drain(now: number): AttendanceBatch[] {
    const sealed: AttendanceBatch[] = []
    for (const batch of [...this.open.values()]) sealed.push(this.seal(batch, now))
    return sealed
  }

  /** Drops every open batch and cancels its timer (error and teardown). */
  clear(): void {
    for (const batch of this.open.values()) {
      batch.timer?.unsubscribe()
      batch.timer = undefined
    }
    this.open.clear()
    this.buffered = 0
  }

  private seal(batch: OpenBatch, now: number): AttendanceBatch {
    this.open.delete(batch.keyString)
    this.buffered -= batch.records.length
    batch.timer?.unsubscribe()
    batch.timer = undefined
    return batch.toBatch(this.nextId(), now)
  }
}
