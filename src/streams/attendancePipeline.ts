import { Kafka, type KafkaConfig, type logCreator, logLevel, type SASLOptions } from 'kafkajs'
import type { Registry } from 'prom-client'
import { filter, map, merge, type Observable, Subject, type Subscription, share, tap } from 'rxjs'
import type { KafkaRecord, SourceCoordinates } from '../codecs/attendanceRecord.js'
import type { PipelineConfig } from '../config/pipelineConfig.js'
import { AttendanceStreamError } from '../errors.js'
import { createHubSpotClient, type HubSpotClient } from '../sinks/hubspot/client.js'
import { createHubSpotSink, type HubSpotSink } from '../sinks/hubspotSink.js'
import { nextMidnightIn } from '../sinks/rollingWindowBudget.js'
import type { SinkMetricsSnapshot } from '../sinks/sinkMetrics.js'
import { batchAttendance } from './batchAttendance.js'
import { decodeRecords, isDecoded, isDecodeFailed } from './decodeRecords.js'
import { createKafkaSource } from './kafkaSource.js'
import { OffsetTracker, type TopicPartition, type TopicPartitionOffset } from './offsetTracker.js'
import { type OutcomeMessage, outcomeMessage, type PipelineOutcome } from './outcomeMessages.js'
import { newCounters, type PipelineCounters, registerPipelineMetrics } from './pipelineMetrics.js'
import { produceOutcomes } from './produceOutcomes.js'
import { sinkToHubSpot } from './sinkToHubSpot.js'

/**
 * One consumer-group member of the whole pipeline:
 *
 * ```text
 * Kafka input ─▶ kafkaSource ─▶ decodeRecords ─┬─ Decoded ─▶ batchAttendance ─▶ sinkToHubSpot ─┐
 *   (tracked in OffsetTracker, paused above     └─ DecodeFailed ───────────────────────────────┴─▶ outcomeMessage
 *    maxInFlightRecords)                                                                           ─▶ produceOutcomes
 *                                                       (acked) ─▶ tracker.complete ─▶ commit every commitIntervalMs
 * ```
 *
 * Guarantees: every input record ends as exactly one result or error record (at least once across crashes and
 * rebalances: a replay may write it again); an offset is committed only once every record below it in its
 * partition has an outcome acknowledged by Kafka.
 */

/** Where the pipeline logs; the CLI's JSON logger fits, and so does `console`. */
export interface PipelineLogger {
  /** Lifecycle: assignments, stopping. */
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void
  /** Trouble the pipeline survives: failed commits, kafkajs warnings, a drain that timed out. */
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void
  /** The fault that stopped the pipeline. */
  error(msg: string, fields?: Readonly<Record<string, unknown>>): void
}

/** What `attendancePipeline` takes besides its configuration. */
export interface AttendancePipelineOptions {
  /** Publishes the pipeline's metrics here (the CLI serves it at /metrics). */
  readonly registry?: Registry
  readonly logger?: PipelineLogger
  /** Overrides the kafkajs client built from `config.kafka` (e.g. to share one). */
  readonly kafka?: Kafka
  /** Overrides the HubSpot client per account built from `config.hubspot` (e.g. to add instrumentation). */
  readonly hubspotClients?: Readonly<Record<string, HubSpotClient>>
}

/** What a member reports as it runs (`handle.events`): assignments, commits, backpressure, shutdown. */
export type PipelineEvent =
  | { readonly type: 'assigned'; readonly partitions: readonly TopicPartition[]; readonly share: number }
  | { readonly type: 'committed'; readonly offsets: readonly TopicPartitionOffset[] }
  | { readonly type: 'paused' }
  | { readonly type: 'resumed' }
  | { readonly type: 'stopping' }
  | { readonly type: 'stopped'; readonly reason: 'stop' | 'error' }

/** A snapshot of a member's counters and of its HubSpot sink's metrics. */
export interface PipelineMetrics extends PipelineCounters {
  readonly sink: SinkMetricsSnapshot
}

/** How `stop()` drains. */
export interface StopOptions {
  /** How long to drain (flush open batches, write outcomes) before giving up on what is unfinished. */
  readonly timeoutMs?: number
}

/** A running consumer-group member, as `attendancePipeline` returns it. */
export interface AttendancePipeline {
  /** Stops fetching, flushes open batches, writes their outcomes, commits, disconnects. Idempotent. */
  stop(options?: StopOptions): Promise<void>
  /** Resolves when the pipeline stopped after `stop()`; rejects with the fault that stopped it otherwise. */
  readonly done: Promise<void>
  /** Hot: subscribe before the events you care about happen. Completes after `stopped`. */
  readonly events: Observable<PipelineEvent>
  /** Counters now (records in, outcomes, batches, in flight, lag) and the sink's metrics. */
  metrics(): PipelineMetrics
  /** True once the member joined the group and owns its assignment. */
  ready(): boolean
}

/**
 * Starts one consumer-group member of the whole pipeline (decode → batch → HubSpot → outcome records) and
 * returns its handle; see the diagram above.
 *
 * @example
 * const pipeline = attendancePipeline(config)
 * process.once('SIGTERM', () => void pipeline.stop())
 * await pipeline.done
 */
export function attendancePipeline(
  config: PipelineConfig,
  options: AttendancePipelineOptions = {},
): AttendancePipeline {
  const log = options.logger ?? silentLogger
  const kafka = options.kafka ?? new Kafka({ ...kafkaConfigOf(config), logCreator: kafkaLogCreator(log) })
  const events = new Subject<PipelineEvent>()
  const counters = newCounters()
  const tracker = new OffsetTracker()
  const highWatermarks = new Map<string, { topic: string; partition: number; highWatermark: bigint }>()

  const clients: Record<string, HubSpotClient> = { ...options.hubspotClients }
  for (const [name, account] of Object.entries(config.hubspot.accounts)) {
    clients[name] ??= createHubSpotClient({
      baseUrl: account.baseUrl,
      token: account.token,
      oauth: account.oauth,
      apiVersion: account.apiVersion,
      connectTimeoutMs: config.hubspot.timeouts.connectMs,
      headersTimeoutMs: config.hubspot.timeouts.headersMs,
      bodyTimeoutMs: config.hubspot.timeouts.bodyMs,
    })
  }
  const account = config.hubspot.accounts[config.hubspot.defaultAccount]
  if (account === undefined) {
    throw new AttendanceStreamError('INVALID_CONFIG', `hubspot.defaultAccount names no configured account`)
  }
  // One account for now: its settings shape the sink (the config's shape already allows several).
  const sink: HubSpotSink = createHubSpotSink({
    client: clients,
    requestsPer10s: account.requestsPer10s,
    ...(account.dailyLimit === undefined ? {} : { dailyLimit: account.dailyLimit }),
    ...(account.timeZone === undefined ? {} : { dailyResetAt: nextMidnightIn(account.timeZone) }),
    maxInFlightRequests: account.maxInFlightRequests,
    retry: config.retry,
    onConfigFault: config.onConfigFault as 'stop' | 'deadLetter',
    mode: account.mode,
  })
  if (options.registry !== undefined) {
    registerPipelineMetrics(options.registry, () => snapshotCounters(), sink.metrics)
  }

  // Original value bytes of in-flight records, for sink error records, with the tracker epoch they were
  // fetched in. A FIFO per coordinate: after a rebalance the same offset may be in flight twice.
  const inFlight = new Map<string, { epoch: number | undefined; value: Buffer | null; fetchedAt: number }[]>()
  // When the group last rebalanced (bounded: only joins younger than any in-flight record matter).
  const joins: number[] = []
  const coordinate = (s: { topic: string; partition: number; offset: string }) =>
    `${s.partition}:${s.offset}:${s.topic}`
  const remember = (record: KafkaRecord) => {
    const key = coordinate(record)
    const entry = {
      epoch: tracker.epochOf(record.topic, record.partition),
      value: record.value,
      fetchedAt: Date.now(),
    }
    const queue = inFlight.get(key)
    if (queue === undefined) inFlight.set(key, [entry])
    else queue.push(entry)
  }
  const originalValue = (source: SourceCoordinates) => inFlight.get(coordinate(source))?.[0]?.value
  const finished = (source: SourceCoordinates) => {
    const key = coordinate(source)
    const queue = inFlight.get(key)
    const entry = queue?.shift()
    if (queue !== undefined && queue.length === 0) inFlight.delete(key)
    // false: fetched before a rebalance; its partition's state was dropped, nothing to complete.
    if (entry !== undefined) tracker.complete(source.topic, source.partition, source.offset, entry.epoch)
  }

  /**
   * Work fetched before a rebalance is redone by whoever owns its partition now (from the committed offset), so
   * its outcome is only a duplicate: it may still be written for `drainTimeoutMs` after the rebalance, and is
   * dropped after that, so a slow HubSpot cannot keep a member busy with partitions it gave away.
   */
  const abandoned = (coordinates: SourceCoordinates): boolean => {
    const entry = inFlight.get(coordinate(coordinates))?.[0]
    if (entry === undefined || entry.epoch === tracker.epochOf(coordinates.topic, coordinates.partition))
      return false
    const staleSince = joins.find((at) => at >= entry.fetchedAt)
    if (staleSince === undefined || Date.now() - staleSince <= config.limits.drainTimeoutMs) return false
    finished(coordinates)
    counters.abandoned++
    source.relieve()
    return true
  }

  let totalPartitions = 0
  let joined = false
  const source = createKafkaSource({
    consumer: kafka.consumer({
      groupId: config.kafka.groupId,
      ...(config.kafka.sessionTimeoutMs === undefined
        ? {}
        : { sessionTimeout: config.kafka.sessionTimeoutMs }),
      // A short fetch wait keeps stop() and rebalances quick; throughput does not depend on it.
      maxWaitTimeInMs: 500,
    }),
    topics: config.kafka.inputTopics,
    fromBeginning: config.kafka.fromBeginning,
    tracker,
    maxInFlightRecords: config.limits.maxInFlightRecords,
    onAssignment: (partitions) => {
      joined = true
      joins.push(Date.now())
      if (joins.length > 64) joins.shift()
      counters.assignedPartitions = partitions.length
      // The account's budget is shared by the group: each member takes the share of the partitions it owns.
      const share = totalPartitions === 0 ? 1 : Math.max(partitions.length, 1) / totalPartitions
      sink.setShare(Math.min(1, share))
      for (const key of highWatermarks.keys()) {
        if (!partitions.some((p) => `${p.partition}:${p.topic}` === key)) highWatermarks.delete(key)
      }
      log.info('partitions assigned', { partitions: partitions.length, of: totalPartitions, share })
      events.next({ type: 'assigned', partitions, share })
    },
    onRebalancing: () => commitFinished('rebalance'),
    onHighWatermark: (topic, partition, hw) =>
      highWatermarks.set(`${partition}:${topic}`, { topic, partition, highWatermark: BigInt(hw) }),
    onPause: (paused) => {
      counters.paused = paused
      events.next({ type: paused ? 'paused' : 'resumed' })
    },
  })

  let committing: Promise<void> = Promise.resolve()
  const commitFinished = (why: string): Promise<void> => {
    committing = committing.then(async () => {
      const offsets = tracker.committable()
      if (offsets.length === 0) return
      try {
        await source.commit(offsets)
        tracker.markCommitted(offsets)
        counters.commits++
        events.next({ type: 'committed', offsets })
      } catch (error) {
        // Not fatal: the offsets are offered again next time; a rebalance makes the new owner redo the work.
        log.warn('commit failed', { why, error: messageOf(error) })
      }
    })
    return committing
  }

  const decoded = source.records.pipe(
    tap((record) => {
      counters.recordsIn++
      remember(record)
    }),
    decodeRecords({
      maxValueBytes: config.limits.maxValueBytes,
      notBefore: config.decode.notBefore,
      maxFutureMs: config.decode.maxFutureMs,
      account: config.hubspot.defaultAccount,
    }),
    share(),
  )
  const outcomes: Observable<PipelineOutcome> = merge(
    decoded.pipe(filter(isDecodeFailed)),
    decoded.pipe(
      filter(isDecoded),
      map((d) => d.record),
      batchAttendance(config.batching),
      tap((batch) => {
        counters.batches++
        counters.inputsInBatches += batch.inputs.length
      }),
      sinkToHubSpot(sink),
    ),
  )
  const topics = { results: config.kafka.resultsTopic, errors: config.kafka.errorsTopic }
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  const acknowledged = outcomes.pipe(
    filter((outcome) => !abandoned(outcome._tag === 'DecodeFailed' ? outcome.source : outcome.record.source)),
    map((outcome) => outcomeMessage(outcome, topics, originalValue)),
    produceOutcomes(producer),
    tap((group: readonly OutcomeMessage[]) => {
      for (const message of group) {
        if (message.kind === 'result') counters.results++
        else {
          counters.errors++
          const code = message.code ?? 'UNKNOWN'
          counters.errorsByCode[code] = (counters.errorsByCode[code] ?? 0) + 1
        }
        finished(message.source)
      }
      source.relieve()
    }),
  )

  let stopRequested = false
  let commitTimer: NodeJS.Timeout | undefined
  let subscription: Subscription | undefined

  // Settled once, by whichever ends the pipeline first: the flow completing, failing, or a drain that timed out.
  let settle!: { resolve: () => void; reject: (error: unknown) => void }
  const done = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject }
  })
  // `done` is for callers; an unobserved failure must not crash the process on its own.
  done.catch(() => undefined)

  let shuttingDown: Promise<void> | undefined
  const shutdown = (failure?: { error: unknown }): Promise<void> => {
    shuttingDown ??= (async () => {
      clearInterval(commitTimer)
      subscription?.unsubscribe()
      // Only acknowledged outcomes are in the tracker's safe points: committing them is right on every path.
      await commitFinished('shutdown')
      await Promise.allSettled([source.disconnect(), producer.disconnect()])
      await sink.close()
      await Promise.allSettled(
        Object.entries(clients)
          .filter(([name]) => options.hubspotClients?.[name] === undefined)
          .map(([, client]) => client.close()),
      )
      events.next({ type: 'stopped', reason: failure === undefined ? 'stop' : 'error' })
      events.complete()
      if (failure === undefined) settle.resolve()
      else settle.reject(failure.error)
    })()
    return shuttingDown
  }

  const start = async (): Promise<void> => {
    await producer.connect()
    const admin = kafka.admin()
    await admin.connect()
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [...config.kafka.inputTopics] })
      totalPartitions = metadata.topics.reduce((n, t) => n + t.partitions.length, 0)
    } finally {
      await admin.disconnect()
    }
    commitTimer = setInterval(() => void commitFinished('interval'), config.limits.commitIntervalMs)
    await new Promise<void>((resolve, reject) => {
      subscription = acknowledged.subscribe({ error: reject, complete: resolve })
    })
  }

  start().then(
    () => shutdown(),
    (error: unknown) => {
      log.error('pipeline failed', { error: messageOf(error), code: codeOf(error) })
      return shutdown({ error })
    },
  )

  let stopping: Promise<void> | undefined
  const stop = (stopOptions: StopOptions = {}): Promise<void> => {
    stopping ??= (async () => {
      stopRequested = true
      events.next({ type: 'stopping' })
      source.stopFetching()
      const timeoutMs = stopOptions.timeoutMs ?? config.limits.shutdownTimeoutMs
      let timer: NodeJS.Timeout | undefined
      const expired = new Promise<'expired'>((resolve) => {
        timer = setTimeout(() => resolve('expired'), timeoutMs)
      })
      const ended = done.then(
        () => 'done' as const,
        () => 'done' as const,
      )
      if ((await Promise.race([ended, expired])) === 'expired') {
        log.warn('drain timed out; committing only finished work', { timeoutMs, inFlight: tracker.inFlight })
        await shutdown()
      }
      clearTimeout(timer)
      await ended
    })()
    return stopping
  }

  const snapshotCounters = (): PipelineCounters => {
    let lag = 0n
    for (const { topic, partition, highWatermark } of highWatermarks.values()) {
      const safe = tracker.safeOffset(topic, partition)
      if (safe !== undefined && highWatermark > BigInt(safe)) lag += highWatermark - BigInt(safe)
    }
    return { ...counters, inFlight: tracker.inFlight, lag: Number(lag) }
  }

  return {
    stop,
    done,
    events: events.asObservable(),
    metrics: () => ({ ...snapshotCounters(), sink: sink.metrics.snapshot() }),
    ready: () => joined && !stopRequested,
  }
}

const silentLogger: PipelineLogger = { info: () => undefined, warn: () => undefined, error: () => undefined }

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))
const codeOf = (error: unknown): string | undefined =>
  error instanceof AttendanceStreamError ? error.code : undefined

/** kafkajs's warnings and errors, through the pipeline's logger (so they are JSON lines, redacted like ours). */
const kafkaLogCreator =
  (log: PipelineLogger): logCreator =>
  () =>
  ({ level, log: entry }) => {
    const { message, timestamp: _timestamp, logger: _logger, ...fields } = entry
    // kafkajs logs at ERROR what it then retries (a coordinator still loading, a rebalance): warnings to us.
    // A fault it gives up on reaches the pipeline as a crash or a failed send, and is logged as an error there.
    if (level === logLevel.ERROR || level === logLevel.WARN) log.warn(`kafkajs: ${message}`, fields)
  }

/** The kafkajs client settings of a pipeline config (SASL/TLS passed through). */
export const kafkaConfigOf = (config: PipelineConfig): KafkaConfig => ({
  clientId: config.kafka.clientId,
  brokers: [...config.kafka.brokers],
  logLevel: logLevel.WARN,
  ...(config.kafka.ssl === undefined ? {} : { ssl: config.kafka.ssl as KafkaConfig['ssl'] }),
  ...(config.kafka.sasl === undefined
    ? {}
    : { sasl: { ...config.kafka.sasl, password: config.kafka.sasl.password.reveal() } as SASLOptions }),
})
