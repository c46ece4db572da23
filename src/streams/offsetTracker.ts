/**
 * Which offsets are safe to commit, per (topic, partition).
 *
 * A record is tracked when it is fetched and completed when its outcome record (result or error) has been
 * acknowledged by Kafka. Completions arrive in any order (batches finish out of order, retries take long), so
 * the committable offset of a partition is Kafka's "next offset to read": its lowest unfinished offset, or the
 * highest tracked offset + 1 when nothing is unfinished. Committing `lowest unfinished` never skips a record
 * without an outcome, which is the whole point (kafkajs `offsetManager` keeps resolved and committed apart the
 * same way).
 *
 * Offsets are int64 strings on the wire and bigints inside: they need not be consecutive (compacted topics and
 * transaction markers leave gaps), only increasing per partition.
 *
 * Misuse (a non-increasing `track`, a `complete` of an offset that is not tracked-and-unfinished) throws: it
 * is a programming fault in the caller, not a bad record, and silently accepting it could commit past data.
 * Work that finishes after its partition was revoked is not misuse: `complete` then returns `false`, and a
 * partition re-assigned meanwhile is told apart by the `epoch` that `track` returned.
 */

export interface TopicPartitionOffset {
  readonly topic: string
  readonly partition: number
  /** Kafka's convention: the next offset to read, as an int64 string. */
  readonly offset: string
}

/** A partition of a topic. */
export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

interface PartitionState {
  readonly epoch: number
  /**
   * Tracked offsets from `head` on, increasing. Entries before `head` are finished and dropped lazily, so the
   * shift is amortized O(1) without `Array.prototype.shift`'s O(n).
   */
  queue: bigint[]
  head: number
  /** Completed offsets still in the queue behind an unfinished one. Never holds the head. */
  readonly completed: Set<bigint>
  /** Highest offset ever tracked; survives the queue emptying, for "highest + 1". */
  last: bigint
  /**
   * The offset last passed to `markCommitted`, starting at the first tracked offset: committing where the
   * consumer started reading would tell Kafka nothing new.
   */
  committed: bigint
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
export class OffsetTracker {
  readonly #partitions = new Map<string, Map<number, PartitionState>>()
  #inFlight = 0
  #nextEpoch = 1

  /** Tracked-but-unfinished records over all partitions: what backpressure compares to its high-water mark. */
  get inFlight(): number {
    return this.#inFlight
  }

  /**
   * Starts tracking a fetched record. Offsets must increase per partition (gaps allowed).
   * Returns the epoch of the partition's state: pass it to `complete` to ignore completions of work fetched
   * under an earlier assignment of the same partition.
   */
  track(topic: string, partition: number, offset: string): number {
    const value = parseOffset(offset)
    let state = this.#state(topic, partition)
    if (state === undefined) {
      state = {
        epoch: this.#nextEpoch++,
        queue: [],
        head: 0,
        completed: new Set(),
        last: value,
        committed: value,
      }
      let byPartition = this.#partitions.get(topic)
      if (byPartition === undefined) {
        byPartition = new Map()
        this.#partitions.set(topic, byPartition)
      }
      byPartition.set(partition, state)
    } else if (value <= state.last) {
      throw new RangeError(
        `track(${where(topic, partition, offset)}): offsets must increase per partition, last tracked was ${state.last}`,
      )
    }
    state.queue.push(value)
    state.last = value
    this.#inFlight++
    return state.epoch
  }

  /**
   * Marks a tracked record finished (its outcome record is acknowledged). Returns `false`, changing nothing,
   * when the partition is not tracked any more (revoked) or `epoch` names an earlier assignment of it.
   * Throws when the offset is not tracked-and-unfinished in the current state.
   */
  complete(topic: string, partition: number, offset: string, epoch?: number): boolean {
    const value = parseOffset(offset)
    const state = this.#state(topic, partition)
    if (state === undefined || (epoch !== undefined && epoch !== state.epoch)) return false
    const at = indexOf(state.queue, state.head, value)
    if (at === -1 || state.completed.has(value)) {
      throw new RangeError(
        `complete(${where(topic, partition, offset)}): offset is not tracked or was already completed`,
      )
    }
    this.#inFlight--
    if (at !== state.head) {
      state.completed.add(value)
      return true
    }
    state.head++
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

  /** The epoch `track` returned for the partition's current state; undefined when it is not tracked. */
  epochOf(topic: string, partition: number): number | undefined {
    return this.#state(topic, partition)?.epoch
  }

  /** Unfinished records of one partition (0 when it is not tracked). */
  unfinished(topic: string, partition: number): number {
    const state = this.#state(topic, partition)
    return state === undefined ? 0 : state.queue.length - state.head - state.completed.size
  }

  /** The offset it is safe to commit for a partition now, whether or not it moved; undefined when untracked. */
  safeOffset(topic: string, partition: number): string | undefined {
    const state = this.#state(topic, partition)
    return state === undefined ? undefined : String(safePoint(state))
  }

  /**
   * Per partition whose safe point moved past its last `markCommitted` (or, before any, past the first offset
   * tracked, where reading started): the offset to commit.
   */
  committable(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = []
    for (const [topic, byPartition] of this.#partitions) {
      for (const [partition, state] of byPartition) {
        const safe = safePoint(state)
        if (safe > state.committed) {
          out.push({ topic, partition, offset: String(safe) })
        }
      }
    }
    return out
  }

  /**
   * Records that these offsets were committed, so `committable` stops offering them. Entries for partitions not
   * tracked any more are ignored; an entry never moves a partition's committed mark backwards.
   */
  markCommitted(committed: readonly TopicPartitionOffset[]): void {
    for (const { topic, partition, offset } of committed) {
      const state = this.#state(topic, partition)
      if (state === undefined) continue
      const value = parseOffset(offset)
      if (value > state.committed) state.committed = value
    }
  }

  /**
   * Forgets a partition (after a rebalance took it away): nothing more is committed for it, its unfinished
   * records stop counting as in flight, and late completions of them return `false`.
   */
  revoke(topic: string, partition: number): void {
    const byPartition = this.#partitions.get(topic)
    const state = byPartition?.get(partition)
    if (byPartition === undefined || state === undefined) return
    this.#inFlight -= this.unfinished(topic, partition)
    byPartition.delete(partition)
    if (byPartition.size === 0) this.#partitions.delete(topic)
  }

  /** Forgets every partition not in `assignment` (the new assignment after a rebalance). */
  revokeAllExcept(assignment: readonly TopicPartition[]): void {
    const keep = new Set(assignment.map(({ topic, partition }) => `${partition}:${topic}`))
    for (const [topic, byPartition] of [...this.#partitions]) {
      for (const partition of [...byPartition.keys()]) {
        if (!keep.has(`${partition}:${topic}`)) this.revoke(topic, partition)
      }
    }
  }

  /** The partitions currently tracked. */
  partitions(): TopicPartition[] {
    const out: TopicPartition[] = []
    for (const [topic, byPartition] of this.#partitions) {
      for (const partition of byPartition.keys()) out.push({ topic, partition })
    }
    return out
  }

  #state(topic: string, partition: number): PartitionState | undefined {
    return this.#partitions.get(topic)?.get(partition)
  }
}

const safePoint = (state: PartitionState): bigint =>
  state.head < state.queue.length ? (state.queue[state.head] as bigint) : state.last + 1n
