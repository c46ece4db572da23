import type { ConsumerListener, GroupConsumerPort, KafkaPort, ProducedMessage } from '../member/kafkaPort.js'
import type { TopicPartition, TopicPartitionOffset } from '../member/offsetLedger.js'
import type { FetchedRecord } from '../member/sourceRecord.js'

/**
 * An in-memory Kafka cluster with one consumer group, for unit tests of members and flows: every step happens
 * when the test says so (`deliver`, `rebalance`, `kill`), so interleavings are the test's to choose and replay.
 *
 * It models what matters to a member the way kafkajs and a classic-protocol group coordinator behave:
 * - every join of a member rebalances the group; the assignment is round-robin over the members sorted by id;
 * - after each rebalance every member fetches each assigned partition from the group's **committed** offset;
 * - `onRevoking` is called on every member before the new generation starts, and is not waited for unless
 *   `awaitRevoking` is set (kafkajs does not wait: a commit made then races the rejoin and may be refused);
 * - a commit from an ended generation is refused; a killed member is gone at once (as after its session timeout);
 * - outcome messages are written when `send` is called and acknowledged on a later microtask, or fail while
 *   `failSends` is above 0.
 */

/** A record written by a fake producer, with the order it was written in. */
export interface WrittenMessage extends ProducedMessage {
  readonly sequence: number
}

/** Options of {@link createFakeKafka}. */
export interface FakeKafkaOptions {
  /** Topics and their records per partition (offsets are the array positions). */
  readonly topics: Readonly<Record<string, readonly (readonly FetchedRecord[])[]>>
  /** Wait for every member's `onRevoking` before the new generation starts. Default false (as kafkajs). */
  readonly awaitRevoking?: boolean
}

/** The fake cluster. */
export interface FakeKafka {
  /** A member's port; the member joins when it starts its consumer. */
  port(memberId: string): KafkaPort
  /** Hands the next records of one assigned, unpaused partition to a member. Returns how many it took. */
  deliver(memberId: string, pick?: (choices: number) => number, maxRecords?: number): number
  /** Members in the group now, sorted. */
  members(): readonly string[]
  /** Removes a member as if its process died: no commit, no leave request; the others rebalance. */
  kill(memberId: string): Promise<void>
  /** Rebalances the group now (as a new member or a lost heartbeat would). */
  rebalance(): Promise<void>
  /** The group's committed offsets (next offset to read), per `topic/partition`. */
  committed(): ReadonlyMap<string, bigint>
  /** Every message written so far, in order. */
  written(): readonly WrittenMessage[]
  /** Fails the next `n` produce requests. */
  failSends(n: number): void
  /** The assignment of a member, or empty. */
  assignment(memberId: string): readonly TopicPartition[]
  /** True when the member paused fetching. */
  paused(memberId: string): boolean
  /** Generation of the group (bumps at every rebalance). */
  generation(): number
}

interface FakeMember {
  readonly id: string
  listener: ConsumerListener
  generation: number
  assignment: TopicPartition[]
  /** Fetch position per `topic/partition`. */
  readonly positions: Map<string, bigint>
  paused: boolean
}

const tp = (topic: string, partition: number): string => `${topic}/${partition}`

/** Starts an in-memory cluster: see {@link FakeKafka}. */
export function createFakeKafka(options: FakeKafkaOptions): FakeKafka {
  const members = new Map<string, FakeMember>()
  const committed = new Map<string, bigint>()
  const metadata = new Map<string, string>()
  const written: WrittenMessage[] = []
  // Killed members are dead processes: whatever they still try to send never arrives.
  const killed = new Set<string>()
  let generation = 0
  let sendFailures = 0
  const partitions: TopicPartition[] = Object.entries(options.topics).flatMap(([topic, parts]) =>
    parts.map((_, partition) => ({ topic, partition })),
  )

  const rebalance = async (): Promise<void> => {
    const current = [...members.values()]
    const revoking = current.map((m) => m.listener.onRevoking())
    if (options.awaitRevoking === true) await Promise.allSettled(revoking)
    else for (const r of revoking) r.catch(() => undefined)
    generation++
    const ids = [...members.keys()].sort()
    const assigned = new Map<string, TopicPartition[]>(ids.map((id) => [id, []]))
    partitions.forEach((p, i) => {
      const id = ids[i % ids.length]
      if (id !== undefined) assigned.get(id)?.push(p)
    })
    for (const id of ids) {
      const member = members.get(id)
      if (member === undefined) continue
      member.generation = generation
      member.assignment = assigned.get(id) ?? []
      member.positions.clear()
      for (const { topic, partition } of member.assignment) {
        member.positions.set(tp(topic, partition), committed.get(tp(topic, partition)) ?? 0n)
      }
    }
    // Assignments are announced after every member got its new state, as the group's sync completes.
    for (const id of ids) {
      const member = members.get(id)
      if (member !== undefined && member.generation === generation)
        member.listener.onAssigned(member.assignment)
    }
  }

  const consumerOf = (id: string): GroupConsumerPort => {
    let member: FakeMember | undefined
    let wantPaused = false
    return {
      start: async (listener) => {
        member = { id, listener, generation: -1, assignment: [], positions: new Map(), paused: wantPaused }
        members.set(id, member)
        await rebalance()
      },
      pause: () => {
        wantPaused = true
        if (member !== undefined) member.paused = true
      },
      resume: () => {
        wantPaused = false
        if (member !== undefined) member.paused = false
      },
      commit: async (offsets: readonly TopicPartitionOffset[]) => {
        await Promise.resolve()
        const m = members.get(id)
        if (m === undefined || m !== member || m.generation !== generation) {
          throw new Error(`ILLEGAL_GENERATION: ${id} is not in generation ${generation}`)
        }
        for (const { topic, partition, offset, metadata: marks } of offsets) {
          committed.set(tp(topic, partition), BigInt(offset))
          if (marks === undefined) metadata.delete(tp(topic, partition))
          else metadata.set(tp(topic, partition), marks)
        }
      },
      committed: async (wanted: readonly TopicPartition[]) => {
        await Promise.resolve()
        return wanted.flatMap(({ topic, partition }) => {
          const offset = committed.get(tp(topic, partition))
          const marks = metadata.get(tp(topic, partition))
          return offset === undefined
            ? []
            : [
                {
                  topic,
                  partition,
                  offset: String(offset),
                  ...(marks === undefined ? {} : { metadata: marks }),
                },
              ]
        })
      },
      stop: async () => {
        if (member !== undefined && members.get(id) === member) {
          members.delete(id)
          if (members.size > 0) await rebalance()
        }
      },
    }
  }

  return {
    port: (id) => ({
      consumer: consumerOf(id),
      producer: {
        connect: async () => undefined,
        send: async (messages) => {
          if (killed.has(id)) return new Promise<void>(() => undefined)
          await Promise.resolve()
          if (sendFailures > 0) {
            sendFailures--
            throw new Error('fake: the broker is not answering')
          }
          for (const m of messages) written.push({ ...m, sequence: written.length })
        },
        disconnect: async () => undefined,
      },
      admin: {
        partitionCounts: async (topics) => {
          const counts = new Map<string, number>()
          for (const topic of topics) {
            const parts = options.topics[topic]
            if (parts !== undefined) counts.set(topic, parts.length)
          }
          return counts
        },
      },
    }),
    deliver: (id, pick = () => 0, maxRecords = 10) => {
      const member = members.get(id)
      if (member === undefined || member.paused) return 0
      const ready = member.assignment.filter(({ topic, partition }) => {
        const records = options.topics[topic]?.[partition] ?? []
        return (member.positions.get(tp(topic, partition)) ?? 0n) < BigInt(records.length)
      })
      const chosen = ready[pick(ready.length)]
      if (chosen === undefined) return 0
      const key = tp(chosen.topic, chosen.partition)
      const from = Number(member.positions.get(key) ?? 0n)
      const records = (options.topics[chosen.topic]?.[chosen.partition] ?? []).slice(from, from + maxRecords)
      const taken = member.listener.onRecords(
        chosen.topic,
        chosen.partition,
        records,
        String(from + records.length),
      )
      // A rebalance inside onRecords (it cannot happen with kafkajs either) would have reset the position.
      if (members.get(id) === member) member.positions.set(key, BigInt(from + taken))
      return taken
    },
    members: () => [...members.keys()].sort(),
    kill: async (id) => {
      killed.add(id)
      if (members.delete(id) && members.size > 0) await rebalance()
    },
    rebalance,
    committed: () => committed,
    written: () => written,
    failSends: (n) => {
      sendFailures = n
    },
    assignment: (id) => members.get(id)?.assignment ?? [],
    paused: (id) => members.get(id)?.paused ?? false,
    generation: () => generation,
  }
}

/** Records `0 … count-1` of one partition, valued by `value(offset)`. */
export const fakeRecords = (count: number, value: (offset: number) => string = String): FetchedRecord[] =>
  Array.from({ length: count }, (_, offset) => ({
    offset: String(offset),
    timestamp: String(1_700_000_000_000 + offset),
    key: Buffer.from(`k${offset}`),
    value: Buffer.from(value(offset)),
  }))
