import type { TopicPartition, TopicPartitionOffset } from './offsetLedger.js'
import type { FetchedRecord } from './sourceRecord.js'

/**
 * The narrow port through which a member talks to Kafka. The member knows nothing else of the client: one
 * adapter (kafkaJsPort.ts) implements it on kafkajs, the unit tests on an in-memory group
 * (attendance-stream/testing's `createFakeKafka`), and another client can be added without touching the member.
 */

/** What a group consumer tells the member. Called synchronously by the adapter, in the order things happen. */
export interface ConsumerListener {
  /**
   * Records fetched for one partition, in offset order. Returns how many of them the member took: the adapter
   * fetches the rest again (from the first one not taken) once fetching resumes.
   */
  readonly onRecords: (
    topic: string,
    partition: number,
    records: readonly FetchedRecord[],
    highWatermark?: string,
  ) => number
  /**
   * The member's whole assignment after a (re)join. Partitions it held and no longer has are revoked from this
   * moment; partitions it keeps may be refetched from their committed offsets (the member turns those records away).
   */
  readonly onAssigned: (assignment: readonly TopicPartition[]) => void
  /**
   * The group is rebalancing and the current generation is about to end: the last moment to commit finished
   * work with it. The returned promise is awaited where the client lets the rejoin wait (kafkajs does not).
   */
  readonly onRevoking: () => Promise<void>
  /** The client gave up (it will not reconnect by itself): the member stops with this fault. */
  readonly onFailed: (error: Error) => void
  /**
   * The client lost the group and is trying to get it back by itself (a broker restarting, the network gone):
   * nothing is fetched until the next `onAssigned`. For readiness; optional for adapters that cannot tell.
   */
  readonly onUnavailable?: (reason: string) => void
}

/** A consumer-group member's consumer: join, fetch, pause, commit, leave. */
export interface GroupConsumerPort {
  /** Connects, joins the group and starts delivering to `listener`; resolves once it is running. */
  start(listener: ConsumerListener): Promise<void>
  /** Stops fetching every assigned partition (the membership stays alive: heartbeats go on). */
  pause(): void
  /** Fetches again. */
  resume(): void
  /** Commits through the group's current generation; rejects when the generation ended or Kafka refused. */
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>
  /**
   * The group's committed offsets (with their metadata) of these partitions; a partition with no commit is
   * absent.
   */
  committed(partitions: readonly TopicPartition[]): Promise<readonly TopicPartitionOffset[]>
  /** Leaves the group and closes the connections. Idempotent. */
  stop(): Promise<void>
}

/** A message for the outcome producer. */
export interface ProducedMessage {
  readonly topic: string
  readonly key: Buffer | null
  readonly value: string
  readonly headers: Readonly<Record<string, string>>
}

/** An idempotent producer, acknowledged by all in-sync replicas. */
export interface OutcomeProducerPort {
  connect(): Promise<void>
  /** Resolves once Kafka acknowledged every message; rejects when they may not have been written. */
  send(messages: readonly ProducedMessage[]): Promise<void>
  disconnect(): Promise<void>
}

/** The admin calls a member needs. */
export interface AdminPort {
  /** Partitions of each topic; a topic that does not exist is absent from the map. */
  partitionCounts(topics: readonly string[]): Promise<ReadonlyMap<string, number>>
}

/** Everything a member needs from Kafka, made per member. */
export interface KafkaPort {
  readonly consumer: GroupConsumerPort
  readonly producer: OutcomeProducerPort
  readonly admin: AdminPort
}
