import type { AttendanceBatch } from '../../codecs/attendanceBatch.js'
import type { AttendanceRecord } from '../../codecs/attendanceRecord.js'
import { type BatchChoice, chooseBatch } from './batchChoice.js'
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
  /** Whether the record opened a batch that is still collecting (its deadline may need a timer). */
  readonly opened: boolean
  /** Batches this record closed, in the order they were sealed (always empty when holding for slots). */
  readonly sealed: readonly AttendanceBatch[]
  /** When holding for slots: the accounts that have a batch newly ready to go (it may repeat an account). */
  readonly ready: readonly string[]
}

const NOTHING_SEALED: readonly AttendanceBatch[] = []
const NO_ACCOUNTS: readonly string[] = []

/**
 * The state of keyed batching with the clock left out (the operator owns time and its one timer): at most one
 * batch taking records per key, at most `maxOpenBatches` of those in all. Every method finishes its state change
 * before returning the batches it sealed, so the caller may hand them to code that calls back in.
 *
 * Collecting batches form a list in opening order. Opening times never decrease and every batch waits the same
 * `maxWaitMs`, so the list is also in deadline order: the oldest batch is the one to evict and the next to time
 * out. (A Map iterates in insertion order too, but finding its first live entry after many deletions walks
 * over their tombstones, which made eviction quadratic in practice.)
 *
 * Without `holdForSlots` a batch is sealed the moment it is full or due. With it, such a batch becomes *ready*
 * instead and leaves only when the operator takes it (when its account has a slot): a due batch keeps taking
 * records of its key meanwhile (it is `overdue`), a full one waits `closed`. The operator chooses which ready
 * batch of an account goes with {@link chooseBatch}.
 */
export class BatchAccumulator {
  /** The batch taking records, per key: collecting or overdue. */
  private readonly byKey = new Map<string, OpenBatch>()
  private oldest: OpenBatch | undefined = undefined
  private newest: OpenBatch | undefined = undefined
  /** Overdue and closed batches waiting for a slot, in the order they became ready. */
  private readonly ready: OpenBatch[] = []
  private closedReady = 0
  private buffered = 0
  /** Accounts whose batch `add` closed, reused from call to call (most adds close nothing). */
  private readonly newlyReady: string[] = []

  constructor(
    private readonly limits: BatchLimits,
    private readonly nextId: () => string,
    private readonly holdForSlots = false,
  ) {}

  get stats(): BatchingStats {
    return { openBatches: this.byKey.size + this.closedReady, bufferedRecords: this.buffered }
  }

  /** When the oldest collecting batch is due, or `undefined` when none is collecting. */
  get nextDeadline(): number | undefined {
    return this.oldest === undefined ? undefined : this.oldest.openedAt + this.limits.maxWaitMs
  }

  add(record: AttendanceRecord, now: number): AddResult {
    const keyString = recordKeyString(record)
    const current = this.byKey.get(keyString)
    const ready = this.newlyReady
    ready.length = 0
    if (current !== undefined) {
      const plan = current.plan(record)
      if (plan.bytes <= this.limits.maxBatchBytes) {
        current.commit(plan)
        this.buffered += 1
        if (current.contacts < this.limits.maxBatchSize) return this.result(false, ready, now)
        this.close(current, ready)
        return this.result(false, ready, now)
      }
      this.close(current, ready)
    } else if (this.byKey.size >= this.limits.maxOpenBatches) {
      const evicted = this.oldest ?? this.byKey.values().next().value
      if (evicted !== undefined) this.close(evicted, ready)
    }
    const opened = new OpenBatch(batchKeyOf(record), keyString, now)
    opened.commit(opened.plan(record))
    this.link(opened)
    this.buffered += 1
    // A record whose input alone is over maxBatchBytes can never share a request, and waiting for maxWaitMs
    // would only delay it: it leaves at once, alone.
    if (opened.contacts >= this.limits.maxBatchSize || opened.bytes > this.limits.maxBatchBytes) {
      this.close(opened, ready)
      return this.result(false, ready, now)
    }
    return this.result(true, ready, now)
  }

  /** Seals every batch whose first record is `maxWaitMs` old at `now`, oldest first (not holding for slots). */
  sealDue(now: number): AttendanceBatch[] {
    this.markDue(now)
    return this.takeAll(now)
  }

  /**
   * Holding for slots: every collecting batch due at `now` becomes ready (and keeps taking records of its key).
   * Returns the accounts that gained a ready batch.
   */
  markDue(now: number): string[] {
    const accounts: string[] = []
    while (this.oldest !== undefined && this.oldest.openedAt + this.limits.maxWaitMs <= now) {
      const due = this.oldest
      this.unlink(due)
      due.state = 'overdue'
      this.ready.push(due)
      accounts.push(due.key.account)
    }
    return accounts
  }

  /** Whether `account` has a batch ready to go. */
  hasReady(account: string): boolean {
    return this.ready.some((batch) => batch.key.account === account)
  }

  /** Seals and removes the ready batch of `account` that `choice` prefers, or `undefined` when it has none. */
  take(account: string, now: number, choice: BatchChoice): AttendanceBatch | undefined {
    const index = chooseBatch(this.ready, account, now, choice)
    if (index === undefined) return undefined
    const [batch] = this.ready.splice(index, 1) as [OpenBatch]
    return this.seal(batch, now)
  }

  /** Seals every open and ready batch: the ready ones in the order they became ready, then the rest oldest first. */
  drain(now: number): AttendanceBatch[] {
    const sealed = this.takeAll(now)
    while (this.oldest !== undefined) {
      const batch = this.oldest
      this.unlink(batch)
      sealed.push(this.seal(batch, now))
    }
    return sealed
  }

  /** Drops every batch (error and teardown). */
  clear(): void {
    this.byKey.clear()
    this.oldest = undefined
    this.newest = undefined
    this.ready.length = 0
    this.closedReady = 0
    this.buffered = 0
  }

  private result(opened: boolean, ready: readonly string[], now: number): AddResult {
    if (this.holdForSlots)
      return { opened, sealed: NOTHING_SEALED, ready: ready.length > 0 ? ready : NO_ACCOUNTS }
    return { opened, sealed: ready.length > 0 ? this.takeAll(now) : NOTHING_SEALED, ready: NO_ACCOUNTS }
  }

  /** Every ready batch, sealed, in the order they became ready. */
  private takeAll(now: number): AttendanceBatch[] {
    const sealed = this.ready.map((batch) => this.seal(batch, now))
    this.ready.length = 0
    return sealed
  }

  /** The batch takes nothing more: full, over the bytes bound, or evicted. It goes to the ready list. */
  private close(batch: OpenBatch, ready: string[]): void {
    if (batch.state === 'collecting') {
      this.unlink(batch)
      this.ready.push(batch)
    }
    this.byKey.delete(batch.keyString)
    batch.state = 'closed'
    this.closedReady += 1
    ready.push(batch.key.account)
  }

  private link(batch: OpenBatch): void {
    this.byKey.set(batch.keyString, batch)
    batch.older = this.newest
    if (this.newest === undefined) this.oldest = batch
    else this.newest.newer = batch
    this.newest = batch
  }

  private unlink(batch: OpenBatch): void {
    const { older, newer } = batch
    if (older === undefined) this.oldest = newer
    else older.newer = newer
    if (newer === undefined) this.newest = older
    else newer.older = older
    batch.older = undefined
    batch.newer = undefined
  }

  private seal(batch: OpenBatch, now: number): AttendanceBatch {
    if (batch.state === 'closed') this.closedReady -= 1
    else this.byKey.delete(batch.keyString)
    this.buffered -= batch.records.length
    return batch.toBatch(this.nextId(), now)
  }
}
