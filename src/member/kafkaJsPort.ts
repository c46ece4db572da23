import type { Consumer, EachBatchPayload, Kafka, Producer, TopicMessages } from 'kafkajs'
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs'
import { AttendanceStreamError } from '../errors.js'
import type {
  AdminPort,
  ConsumerListener,
  GroupConsumerPort,
  KafkaPort,
  OutcomeProducerPort,
  ProducedMessage,
} from './kafkaPort.js'
import type { TopicPartition } from './offsetLedger.js'
import type { FetchedRecord } from './sourceRecord.js'

/** What the kafkajs adapter needs. */
export interface KafkaJsPortOptions {
  readonly kafka: Kafka
  readonly groupId: string
  readonly topics: readonly string[]
  /** Start from the earliest offset when the group has no committed offset. Default true. */
  readonly fromBeginning?: boolean
  readonly sessionTimeoutMs?: number
  /** How long a fetch waits for data; short keeps stop() and rebalances quick. Default 500 ms. */
  readonly maxWaitTimeMs?: number
  /** Partitions fetched concurrently. Default 3. */
  readonly partitionsConsumedConcurrently?: number
  /** Heartbeat interval while paused (kafkajs heartbeats only from its fetch loop, #708). Default 3,000 ms. */
  readonly heartbeatIntervalMs?: number
  readonly scheduler?: SchedulerLike
}

/**
 * The member's Kafka port on kafkajs 2.x.
 *
 * - `eachBatch` only hands records over (synchronously) and resolves the offsets the member took, so kafkajs's
 *   loop keeps fetching and heartbeating while the slow work happens in the flow. What the member did not take
 *   stays unresolved, and kafkajs fetches it again from there after `resume()`.
 * - kafkajs has no partition-revoked callback (#916): a rebalance shows as `REBALANCING` (a fetch or heartbeat
 *   was told so, just before kafkajs rejoins — it does not wait for us, so the commit made then races the
 *   rejoin) followed by `GROUP_JOIN` with the new assignment, after which kafkajs fetches every assigned
 *   partition from its committed offset.
 * - A crash kafkajs restarts from (retriable: a broker restarting) is ridden out by kafkajs itself; one it gives
 *   up on is reported to the member.
 * - A produce request that failed after kafkajs's retries leaves an idempotent producer's sequence numbers in
 *   doubt, so the producer is replaced before the member sends again.
 */
export function kafkaJsPort(options: KafkaJsPortOptions): KafkaPort {
  const scheduler = options.scheduler ?? asyncScheduler
  return {
    consumer: kafkaJsGroupConsumer(options, scheduler),
    producer: kafkaJsOutcomeProducer(options.kafka),
    admin: kafkaJsAdmin(options.kafka),
  }
}

const kafkaJsGroupConsumer = (options: KafkaJsPortOptions, scheduler: SchedulerLike): GroupConsumerPort => {
  const consumer: Consumer = options.kafka.consumer({
    groupId: options.groupId,
    ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeout: options.sessionTimeoutMs }),
    maxWaitTimeInMs: options.maxWaitTimeMs ?? 500,
  })
  const topics = options.topics.map((topic) => ({ topic }))
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 3_000
  let heartbeat: (() => Promise<void>) | undefined
  let heartbeatTimer: Subscription | undefined
  let removers: (() => void)[] = []
  let stopped = false
  // kafkajs refuses pause()/resume() before run() has set up the group; the wish is applied once it has.
  let running = false
  let wantPaused = false
  const apply = (): void => {
    if (!running || stopped) return
    if (wantPaused) {
      consumer.pause(topics)
      keepHeartbeating()
    } else {
      stopHeartbeating()
      consumer.resume(topics)
    }
  }

  const keepHeartbeating = (): void => {
    if (heartbeatTimer !== undefined || stopped) return
    const beat = (): void => {
      // A rebalance error here is seen and handled by kafkajs's own loop.
      heartbeat?.().catch(() => undefined)
      heartbeatTimer = scheduler.schedule(beat, heartbeatIntervalMs)
    }
    heartbeatTimer = scheduler.schedule(beat, heartbeatIntervalMs)
  }
  const stopHeartbeating = (): void => {
    heartbeatTimer?.unsubscribe()
    heartbeatTimer = undefined
  }

  return {
    start: async (listener: ConsumerListener) => {
      const { GROUP_JOIN, REBALANCING, CRASH } = consumer.events
      removers = [
        consumer.on(GROUP_JOIN, (event) => {
          const assignment: TopicPartition[] = Object.entries(event.payload.memberAssignment).flatMap(
            ([topic, partitions]) => partitions.map((partition) => ({ topic, partition })),
          )
          listener.onAssigned(assignment)
        }),
        consumer.on(REBALANCING, () => {
          listener.onRevoking().catch(() => undefined)
        }),
        consumer.on(CRASH, (event) => {
          if (event.payload.restart) return
          listener.onFailed(
            new AttendanceStreamError(
              'KAFKA_UNAVAILABLE',
              `the Kafka consumer crashed: ${event.payload.error.message}`,
              { cause: event.payload.error, retryable: true },
            ),
          )
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
        if (stopped || !isRunning() || isStale() || batch.messages.length === 0) return
        // kafkajs's messages already have the fields of a FetchedRecord (headers may hold arrays of values,
        // which records.md says are ignored): handing them over as they are saves a copy per record.
        const messages = batch.messages as unknown as readonly FetchedRecord[]
        const taken = listener.onRecords(batch.topic, batch.partition, messages, batch.highWatermark)
        const last = messages[taken - 1]
        if (last !== undefined) resolveOffset(last.offset)
      }
      await consumer.connect()
      await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? true })
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 3,
        eachBatch,
      })
      running = true
      if (wantPaused) apply()
    },
    pause: () => {
      wantPaused = true
      apply()
    },
    resume: () => {
      wantPaused = false
      apply()
    },
    commit: async (offsets) => {
      if (offsets.length > 0) await consumer.commitOffsets(offsets.map((o) => ({ ...o })))
    },
    committed: async (partitions) => {
      const topics = [...new Set(partitions.map((p) => p.topic))]
      if (topics.length === 0) return []
      const wanted = new Set(partitions.map((p) => `${p.partition}:${p.topic}`))
      const admin = options.kafka.admin()
      await admin.connect()
      try {
        const byTopic = await admin.fetchOffsets({ groupId: options.groupId, topics })
        return byTopic.flatMap(({ topic, partitions: list }) =>
          list
            .filter((p) => wanted.has(`${p.partition}:${topic}`) && BigInt(p.offset) >= 0n)
            .map((p) => ({
              topic,
              partition: p.partition,
              offset: p.offset,
              ...(p.metadata === null || p.metadata === undefined ? {} : { metadata: p.metadata }),
            })),
        )
      } finally {
        await admin.disconnect()
      }
    },
    stop: async () => {
      if (stopped) return
      stopped = true
      stopHeartbeating()
      for (const remove of removers) remove()
      await consumer.disconnect()
    },
  }
}

const kafkaJsOutcomeProducer = (kafka: Kafka): OutcomeProducerPort => {
  const create = (): Producer => kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  let producer = create()
  let connected: Promise<void> | undefined
  const ready = (): Promise<void> => {
    connected ??= producer.connect()
    return connected
  }
  return {
    connect: ready,
    send: async (messages) => {
      await ready()
      try {
        await producer.sendBatch({ topicMessages: byTopic(messages), acks: -1 })
      } catch (error) {
        const failed = producer
        producer = create()
        connected = undefined
        await failed.disconnect().catch(() => undefined)
        throw error
      }
    },
    disconnect: async () => {
      await producer.disconnect()
    },
  }
}

const kafkaJsAdmin = (kafka: Kafka): AdminPort => ({
  partitionCounts: async (topics) => {
    const admin = kafka.admin()
    await admin.connect()
    try {
      const existing = new Set(await admin.listTopics())
      const wanted = topics.filter((topic) => existing.has(topic))
      const counts = new Map<string, number>()
      if (wanted.length === 0) return counts
      const metadata = await admin.fetchTopicMetadata({ topics: wanted })
      for (const { name, partitions } of metadata.topics) counts.set(name, partitions.length)
      return counts
    } finally {
      await admin.disconnect()
    }
  },
})

const byTopic = (messages: readonly ProducedMessage[]): TopicMessages[] => {
  const topics = new Map<string, TopicMessages>()
  for (const { topic, key, value, headers } of messages) {
    let entry = topics.get(topic)
    if (entry === undefined) {
      entry = { topic, messages: [] }
      topics.set(topic, entry)
    }
    entry.messages.push({ key, value, headers: { ...headers } })
  }
  return [...topics.values()]
}
