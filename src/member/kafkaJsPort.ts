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
import type { MemberLogger } from './runMember.js'
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
  /**
   * How long, since Kafka last answered the consumer, a consumer that kafkajs gave up on is rebuilt before the
   * member fails with `KAFKA_UNAVAILABLE`. Default 300,000 ms.
   */
  readonly maxUnavailableMs?: number
  /**
   * A joined consumer that shows no sign of life (no fetch, heartbeat, join or crash kafkajs restarts from) for
   * this long is presumed dead and rebuilt. Default 120,000 ms: above kafkajs's own longest quiet retry.
   */
  readonly livenessTimeoutMs?: number
  /** Where the adapter says it rebuilt the consumer, and when the rebuilt one joined. */
  readonly logger?: Pick<MemberLogger, 'info' | 'warn'>
  readonly scheduler?: SchedulerLike
}

const DEFAULT_MAX_UNAVAILABLE_MS = 300_000
const DEFAULT_LIVENESS_TIMEOUT_MS = 120_000
const LIVENESS_CHECK_MS = 5_000
const MAX_REBUILD_DELAY_MS = 30_000

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
 * - A crash kafkajs restarts from (retriable: a broker restarting) is ridden out by kafkajs itself. Its restart
 *   builds a new internal group that forgets `pause()`, so the member's wish is applied again at every join.
 * - A crash kafkajs gives up on (`restart: false`; seen after a broker restart as a non-retriable error), or a
 *   consumer that goes silent, is replaced by a new kafkajs consumer of the same group, on a backoff capped at
 *   30 s, until Kafka has not answered for `maxUnavailableMs`; then (or at once, before the first join: a
 *   start-up fault) it is reported to the member, which fails. Never a consumer that stopped while the member waits.
 * - A produce request, or the producer's connect, that failed after kafkajs's retries leaves an idempotent
 *   producer's state in doubt, so the producer is replaced before the member sends again. (A connect promise kept
 *   after it failed would fail every later send at once: the member never wrote again after a broker restart.)
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
  const create = (): Consumer =>
    options.kafka.consumer({
      groupId: options.groupId,
      ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeout: options.sessionTimeoutMs }),
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 500,
    })
  const topics = options.topics.map((topic) => ({ topic }))
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 3_000
  const maxUnavailableMs = options.maxUnavailableMs ?? DEFAULT_MAX_UNAVAILABLE_MS
  const livenessTimeoutMs = options.livenessTimeoutMs ?? DEFAULT_LIVENESS_TIMEOUT_MS
  const log = options.logger ?? { warn: () => undefined, info: () => undefined }
  let consumer = create()
  let listener: ConsumerListener | undefined
  let heartbeat: (() => Promise<void>) | undefined
  let heartbeatTimer: Subscription | undefined
  let watchdog: Subscription | undefined
  let rebuildTimer: Subscription | undefined
  let removers: (() => void)[] = []
  let stopped = false
  // kafkajs refuses pause()/resume() before run() has set up the group, and while it restarts after a crash
  // (its group is gone until the restart joins again): the wish is applied once there is a group again.
  let running = false
  let wantPaused = false
  // Liveness, in scheduler time: the last moment Kafka answered this member (a join, a fetch, a heartbeat),
  // and the last moment kafkajs showed it is still trying (those, a fetch started, a crash it restarts from).
  let joinedOnce = false
  let lastAnswer = scheduler.now()
  let lastSignOfLife = lastAnswer
  let rebuilding = false
  let rebuilds = 0
  // Set when the consumer was rebuilt and not yet joined again: the first join after it is logged.
  let unavailableSince: number | undefined

  const apply = (): void => {
    if (!running || stopped) return
    try {
      if (wantPaused) {
        consumer.pause(topics)
        keepHeartbeating()
      } else {
        stopHeartbeating()
        consumer.resume(topics)
      }
    } catch {
      // kafkajs has no group right now (it is restarting after a crash): the next join applies the wish.
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

  const answered = (): void => {
    lastAnswer = scheduler.now()
    lastSignOfLife = lastAnswer
  }

  const attach = (current: Consumer, to: ConsumerListener): void => {
    const { GROUP_JOIN, REBALANCING, CRASH, FETCH_START, FETCH, HEARTBEAT } = current.events
    removers = [
      current.on(GROUP_JOIN, (event) => {
        answered()
        joinedOnce = true
        if (unavailableSince !== undefined) {
          log.info('the rebuilt Kafka consumer joined the group', {
            unavailableMs: scheduler.now() - unavailableSince,
          })
          unavailableSince = undefined
        }
        const assignment: TopicPartition[] = Object.entries(event.payload.memberAssignment).flatMap(
          ([topic, partitions]) => partitions.map((partition) => ({ topic, partition })),
        )
        to.onAssigned(assignment)
        // A join after a crash is a new kafkajs group that knows nothing of our pause.
        apply()
      }),
      current.on(FETCH, answered),
      current.on(HEARTBEAT, answered),
      current.on(FETCH_START, () => {
        lastSignOfLife = scheduler.now()
      }),
      current.on(REBALANCING, () => {
        to.onRevoking().catch(() => undefined)
      }),
      current.on(CRASH, (event) => {
        lastSignOfLife = scheduler.now()
        // The heartbeat was the crashed runner's: beating with it only draws "not aware of this member" answers.
        heartbeat = undefined
        to.onUnavailable?.(`the Kafka consumer crashed and is reconnecting: ${event.payload.error.message}`)
        if (!event.payload.restart) gaveUp(event.payload.error)
      }),
    ]
  }
  const detach = (): void => {
    for (const remove of removers) remove()
    removers = []
  }

  const launch = async (current: Consumer, to: ConsumerListener): Promise<void> => {
    attach(current, to)
    const eachBatch = async ({
      batch,
      resolveOffset,
      heartbeat: beat,
      isRunning,
      isStale,
    }: EachBatchPayload) => {
      // A consumer that was replaced may still be finishing a fetch: only the current one delivers.
      if (current !== consumer) return
      heartbeat = beat
      if (stopped || !isRunning() || isStale() || batch.messages.length === 0) return
      // kafkajs's messages already have the fields of a FetchedRecord (headers may hold arrays of values,
      // which records.md says are ignored): handing them over as they are saves a copy per record.
      const messages = batch.messages as unknown as readonly FetchedRecord[]
      const taken = to.onRecords(batch.topic, batch.partition, messages, batch.highWatermark)
      const last = messages[taken - 1]
      if (last !== undefined) resolveOffset(last.offset)
    }
    await current.connect()
    await current.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? true })
    await current.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 3,
      eachBatch,
    })
    running = true
    if (wantPaused) apply()
  }

  /**
   * kafkajs stopped for good (a crash it does not restart from, or a consumer that went silent). Before the
   * first join that is a start-up fault (wrong brokers, credentials, ACLs): the member fails at once. After it,
   * the consumer is rebuilt (same group, on a backoff) until Kafka has not answered for `maxUnavailableMs`.
   */
  const gaveUp = (error: Error): void => {
    const to = listener
    if (stopped || rebuilding || to === undefined) return
    const unavailableMs = scheduler.now() - lastAnswer
    if (!joinedOnce || unavailableMs > maxUnavailableMs) {
      stopWatching()
      to.onFailed(
        new AttendanceStreamError(
          'KAFKA_UNAVAILABLE',
          joinedOnce
            ? `Kafka did not answer the consumer for ${unavailableMs} ms (limit ${maxUnavailableMs} ms): ${error.message}`
            : `the Kafka consumer crashed: ${error.message}`,
          { cause: error, retryable: true },
        ),
      )
      return
    }
    rebuilding = true
    rebuilds++
    unavailableSince ??= lastAnswer
    to.onUnavailable?.(
      `the Kafka consumer gave up after ${unavailableMs} ms without an answer and is rebuilt: ${error.message}`,
    )
    const delayMs = Math.min(MAX_REBUILD_DELAY_MS, 1_000 * 2 ** Math.min(rebuilds - 1, 10))
    log.warn('the Kafka consumer gave up; rebuilding it', {
      error: error.message,
      rebuild: rebuilds,
      delayMs,
      unavailableMs,
    })
    const old = consumer
    detach()
    running = false
    // Its disconnect may wait on the very connection that failed: it is not awaited.
    old.disconnect().catch(() => undefined)
    rebuildTimer = scheduler.schedule(() => {
      rebuildTimer = undefined
      if (stopped) return
      consumer = create()
      launch(consumer, to).then(
        () => {
          rebuilding = false
          lastSignOfLife = scheduler.now()
        },
        (failure: unknown) => {
          rebuilding = false
          gaveUp(failure instanceof Error ? failure : new Error(String(failure)))
        },
      )
    }, delayMs)
  }

  let watching = false
  const check = (): void => {
    if (!watching) return
    const silentMs = scheduler.now() - lastSignOfLife
    if (!rebuilding && joinedOnce && silentMs > livenessTimeoutMs) {
      gaveUp(new Error(`the consumer showed no sign of life for ${silentMs} ms`))
    }
    if (watching) watchdog = scheduler.schedule(check, LIVENESS_CHECK_MS)
  }
  const watch = (): void => {
    watching = true
    watchdog = scheduler.schedule(check, LIVENESS_CHECK_MS)
  }
  const stopWatching = (): void => {
    watching = false
    watchdog?.unsubscribe()
    watchdog = undefined
    rebuildTimer?.unsubscribe()
    rebuildTimer = undefined
  }

  return {
    start: async (to: ConsumerListener) => {
      listener = to
      await launch(consumer, to)
      watch()
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
      stopWatching()
      stopHeartbeating()
      detach()
      // kafkajs schedules a restart when its disconnect itself crashes (seen right after a broker restart as
      // "write after end"): a consumer that joins after stop() would hold partitions; it is disconnected again.
      const last = consumer
      last.on(last.events.GROUP_JOIN, () => {
        last.disconnect().catch(() => undefined)
      })
      await last.disconnect()
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
      try {
        await ready()
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
