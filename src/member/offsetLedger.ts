import { type ByTopicPartition, setPartitionValue } from './byTopicPartition.js'
import { decodeCompletionMarks, encodeCompletionMarks } from './completionMarks.js'
import type { Lease } from './sourceRecord.js'

/**
 * Which offsets are safe to commit, per (topic, partition), and which fetched records are new.
 *
 * A record is admitted when it is fetched and completed when its outcome record (result or error) has been
 * acknowledged by Kafka (or the flow skipped it). Completions arrive in any order (batches finish out of order, retries take long), so
 * the committable offset of a partition is Kafka's "next offset to read": its lowest unfinished offset, or the
 * highest tracked offset + 1 when nothing is unfinished. Committing `lowest unfinished` never skips a record
 * without an outcome, which is the whole point (kafkajs `offsetManager` keeps resolved and committed apart the
 * same way).
 *
 * Offsets are int64 strings on the wire and bigints inside: they need not be consecutive (compacted topics and
 * transaction markers leave gaps), only increasing per partition.
 *
 * A partition's state lives as long as the member holds the partition, across rebalances that leave it here:
 * kafkajs refetches every assigned partition from its committed offset after each join, and `admit` recognises
 * the refetched records at or below the highest offset admitted (in flight or done) and turns them away, so work
 * already under way is never handed to the flow twice. Each holding of a partition has its own {@link Lease}:
 * `revoke` ends it, and completions under an ended lease change nothing.
 *
 * Misuse (a `complete` of an offset that is not admitted-and-unfinished under its lease) throws: it is a
 * programming fault in the caller, not a bad record, and silently accepting it could commit past data.
 */

export interface TopicPartitionOffset {
  readonly topic: string
  readonly partition: number
  /** Kafka's convention: the next offset to read, as an int64 string. */
  readonly offset: string
  /** The commit's metadata: the completion marks of what is done above `offset` (completionMarks.ts). */
  readonly metadata?: string
}

/** A partition of a topic. */
export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

/** One holding of a partition: revoked when the member gives the partition away. */
class PartitionLease implements Lease {
  revoked = false
}

interface PartitionState {
  readonly lease: PartitionLease
  /**
   * Tracked offsets from `head` on, increasing. Entries before `head` are finished and dropped lazily, so the
   * shift is amortized O(1) without `Array.prototype.shift`'s O(n).
   */
  queue: bigint[]
  head: number
  /** Completed offsets still in the queue behind an unfinished one. Never holds the head. */
  readonly completed: Set<bigint>
  /** Highest offset ever admitted; survives the queue emptying, for "highest + 1" and to spot refetches. */
  last: bigint
  /**
   * The offset last passed to `markCommitted`, starting at the first admitted offset: committing where the
   * consumer started reading would tell Kafka nothing new.
   */
  committed: bigint
  /** Scheduler time the safe point last moved (or the partition was first admitted): for stall warnings. */
  movedAt: number
  /** Completions so far, and how many of them the last commit (or the one in progress) described. */
  completions: number
  offered: number
  committedCompletions: number
}

/** Compact the queue once this many finished entries sit before its head and they are its larger half. */
const COMPACT_AT = 1024

const OFFSET_PATTERN = /^(0|[1-9][0-9]*)$/

const parseOffset = (offset: string): bigint => {
  if (typeof offset !== 'string' || !OFFSET_PATTERN.test(offset)) {
    throw new TypeError(`offset must be a non-negative integer string, got ${JSON.stringify(offset)}`)
  }
  return BigInt(offset)
}

const where = (topic: string, partition: number, offset: string): string => `${topic}/${partition}@${offset}`

/** The position of `offset` in the sorted `queue[from..]`, or -1. */
const indexOf = (queue: readonly bigint[], from: number, offset: bigint): number => {
  let lo = from
  let hi = queue.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const at = queue[mid] as bigint
    if (at === offset) return mid
    if (at < offset) lo = mid + 1
    else hi = mid - 1
  }
  return -1
}

/** Which offsets are safe to commit, per partition: see the module comment above and docs/architecture.md. */
export class OffsetLedger {
  readonly #partitions: ByTopicPartition<PartitionState> = new Map()
  /** Offsets a previous holder's completion marks say are done, per partition not yet admitted from. */
  readonly #doneElsewhere: ByTopicPartition<Set<bigint>> = new Map()
  #inFlight = 0

  /** Admitted-but-unfinished records over all partitions: what backpressure compares to its high-water mark. */
  get inFlight(): number {
    return this.#inFlight
  }

  /**
   * Admits a fetched record: returns the lease it is held under, or `undefined` when its offset is at or below
   * the highest already admitted for the partition (a refetch after a rebalance: in flight or done already).
   * `now` is the scheduler's time, kept for stall warnings.
   */
  admit(topic: string, partition: number, offset: string, now = 0): Lease | undefined {
    const value = parseOffset(offset)
    let state = this.#state(topic, partition)
    if (state === undefined) {
      state = {
        lease: new PartitionLease(),
        queue: [],
        head: 0,
        completed: new Set(),
        last: value,
        committed: value,
        movedAt: now,
        completions: 0,
        offered: 0,
        committedCompletions: 0,
      }
      setPartitionValue(this.#partitions, topic, partition, state)
    } else if (value <= state.last) {
      return undefined
    }
    if (state.head === state.queue.length) state.movedAt = now
    state.queue.push(value)
    state.last = value
    this.#inFlight++
    return state.lease
  }

  /**
   * Takes in the completion marks of a partition's last commit (when the member gets the partition): the records
   * they name are done, and `admitIfDone` admits them as finished instead of handing them to the flow again.
   */
  expectDone(topic: string, partition: number, committed: TopicPartitionOffset): void {
    const done = decodeCompletionMarks(parseOffset(committed.offset), committed.metadata)
    if (done.size === 0) {
      this.#doneElsewhere.get(topic)?.delete(partition)
      return
    }
    setPartitionValue(this.#doneElsewhere, topic, partition, done)
  }

  /**
   * When the completion marks say this offset is done, admits it as finished (it is never handed to the flow)
   * and returns true.
   */
  admitIfDone(topic: string, partition: number, offset: string, now = 0): boolean {
    const done = this.#doneElsewhere.get(topic)?.get(partition)
    if (done === undefined) return false
    const value = parseOffset(offset)
    if (!done.delete(value)) return false
    if (done.size === 0) this.#doneElsewhere.get(topic)?.delete(partition)
    const lease = this.admit(topic, partition, offset, now)
    if (lease !== undefined) this.complete(topic, partition, offset, lease, now)
    return true
  }

  /**
   * Marks an admitted record finished (its outcome record is acknowledged, or it was skipped). Returns `false`,
   * changing nothing, when `lease` was revoked (the partition was given away since). Throws when the offset is
   * not admitted-and-unfinished under the partition's current lease.
   */
  complete(topic: string, partition: number, offset: string, lease?: Lease, now = 0): boolean {
    if (lease?.revoked === true) return false
    const value = parseOffset(offset)
    const state = this.#state(topic, partition)
    if (state === undefined || (lease !== undefined && lease !== state.lease)) {
      throw new RangeError(
        `complete(${where(topic, partition, offset)}): the partition is not held under this lease`,
      )
    }
    const at = indexOf(state.queue, state.head, value)
    if (at === -1 || state.completed.has(value)) {
      throw new RangeError(
        `complete(${where(topic, partition, offset)}): offset is not admitted or was already completed`,
      )
    }
    this.#inFlight--
    state.completions++
    if (at !== state.head) {
      state.completed.add(value)
      return true
    }
    state.head++
    state.movedAt = now
    while (state.head < state.queue.length) {
      const next = state.queue[state.head] as bigint
      if (!state.completed.delete(next)) break
      state.head++
    }
    if (state.head === state.queue.length) {
      state.queue = []
      state.head = 0
    } else if (state.head >= COMPACT_AT && state.head * 2 >= state.queue.length) {
      state.queue = state.queue.slice(state.head)
      state.head = 0
    }
    return true
  }

  /** Unfinished records of one partition (0 when it is not held). */
  unfinished(topic: string, partition: number): number {
    const state = this.#state(topic, partition)
    return state === undefined ? 0 : state.queue.length - state.head - state.completed.size
  }

  /** The offset it is safe to commit for a partition now, whether or not it moved; undefined when not held. */
  safeOffset(topic: string, partition: number): string | undefined {
    const state = this.#state(topic, partition)
    return state === undefined ? undefined : String(safePoint(state))
  }

  /**
   * Per partition whose safe point moved past its last `markCommitted` (or, before any, past the first offset
   * admitted, where reading started), or that finished more records above it since: the offset to commit, with
   * the completion marks of what is done above it.
   */
  committable(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = []
    for (const [topic, byPartition] of this.#partitions) {
      for (const [partition, state] of byPartition) {
        const safe = safePoint(state)
        const marksChanged = state.completed.size > 0 && state.completions !== state.committedCompletions
        if (safe <= state.committed && !marksChanged) continue
        state.offered = state.completions
        const metadata = encodeCompletionMarks(safe, state.completed)
        out.push({ topic, partition, offset: String(safe), ...(metadata === undefined ? {} : { metadata }) })
      }
    }
    return out
  }

  /**
   * Records that these offsets were committed, so `committable` stops offering them. Entries for partitions not
   * held any more are ignored; an entry never moves a partition's committed mark backwards.
   */
  markCommitted(committed: readonly TopicPartitionOffset[]): void {
    for (const { topic, partition, offset } of committed) {
      const state = this.#state(topic, partition)
      if (state === undefined) continue
      const value = parseOffset(offset)
      if (value > state.committed) state.committed = value
      state.committedCompletions = state.offered
    }
  }

  /**
   * Gives a partition up (a rebalance took it away): its lease is revoked, nothing more is committed for it,
   * its unfinished records stop counting as in flight (returned: the work its new owner will redo), and late
   * completions under the old lease return `false`.
   */
  revoke(topic: string, partition: number): number {
    const byPartition = this.#partitions.get(topic)
    const state = byPartition?.get(partition)
    if (byPartition === undefined || state === undefined) return 0
    const unfinished = this.unfinished(topic, partition)
    this.#inFlight -= unfinished
    state.lease.revoked = true
    byPartition.delete(partition)
    if (byPartition.size === 0) this.#partitions.delete(topic)
    this.#doneElsewhere.get(topic)?.delete(partition)
    return unfinished
  }

  /** The partitions currently held. */
  partitions(): TopicPartition[] {
    const out: TopicPartition[] = []
    for (const [topic, byPartition] of this.#partitions) {
      for (const partition of byPartition.keys()) out.push({ topic, partition })
    }
    return out
  }

  /**
   * Partitions with unfinished records whose safe point has not moved since `before` (scheduler time), with
   * the offset they wait for.
   */
  stalledSince(before: number): (TopicPartitionOffset & { readonly since: number })[] {
    const out: (TopicPartitionOffset & { since: number })[] = []
    for (const [topic, byPartition] of this.#partitions) {
      for (const [partition, state] of byPartition) {
        if (state.head < state.queue.length && state.movedAt < before) {
          out.push({ topic, partition, offset: String(safePoint(state)), since: state.movedAt })
        }
      }
    }
    return out
  }

  #state(topic: string, partition: number): PartitionState | undefined {
    return this.#partitions.get(topic)?.get(partition)
  }
}

const safePoint = (state: PartitionState): bigint =>
  state.head < state.queue.length ? (state.queue[state.head] as bigint) : state.last + 1n
