import {
  asyncScheduler,
  type Observable,
  type OperatorFunction,
  type SchedulerLike,
  Subject,
  type Subscription,
} from 'rxjs'
import { AttendanceStreamError } from '../errors.js'
import { type ByTopicPartition, setPartitionValue } from './byTopicPartition.js'
import type { KafkaPort } from './kafkaPort.js'
import { type MemberCounters, type MemberEvent, newMemberCounters } from './memberEvents.js'
import { OffsetLedger, type TopicPartition } from './offsetLedger.js'
import { isOutcome, type Outcome } from './outcome.js'
import { type OutcomeMessage, type OutcomeTopics, outcomeMessage } from './outcomeMessage.js'
import { type ProduceOutcomesOptions, produceOutcomes } from './produceOutcomes.js'
import { type FetchedRecord, type SourceRecord, sourceRecordOf } from './sourceRecord.js'

/**
 * A consumer-group member that runs any flow: Kafka in, one outcome per record out, safe commits.
 *
 * ```text
 *  port.consumer ─onRecords─▶ ledger.admit ─▶ flow (yours) ─▶ Result | Error ─▶ produceOutcomes ─▶ ledger.complete
 *       ▲  pause/resume            │ refetched: turned away      └─ Skipped ───────────────────────▶ ledger.complete
 *       └── backpressure ◀── inFlight        commit every commitIntervalMs, on rebalance and on stop ◀── ledger
 * ```
 *
 * The member owns fetching and backpressure, per-partition tracking of in-flight offsets, commits at the safe
 * point, rebalances, the outcome producer, graceful shutdown, events and counters; the flow owns what happens
 * to a record. All of its time goes through `scheduler`.
 *
 * Rebalances: a partition the member keeps keeps its state, so the records the client refetches from the
 * committed offset (kafkajs does after every join) are turned away when they are already in flight or done. A
 * partition it loses is committed as far as it is finished (at `onRevoking`, while the generation is still
 * valid), and its unfinished records are abandoned at once: their leases are revoked (the flow may skip work for
 * them), their outcomes are dropped unwritten, and their new owner redoes them from the committed offset.
 */

/** Where the member logs; the CLI's JSON logger fits, and so does `console`. */
export interface MemberLogger {
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void
  error(msg: string, fields?: Readonly<Record<string, unknown>>): void
}

/** Limits of a member. */
export interface MemberLimits {
  /** Unfinished records above which fetching pauses; it resumes at half. Default 10,000. */
  readonly maxInFlightRecords?: number
  /** How often safe offsets are committed. Default 1,000 ms. */
  readonly commitIntervalMs?: number
  /** How long `stop()` drains (flow, outcomes, commit) before giving up on unfinished work. Default 30,000 ms. */
  readonly shutdownTimeoutMs?: number
  /** A partition whose safe point has not moved for this long, with records unfinished, is reported. Default 60,000 ms. */
  readonly stallWarningMs?: number
}

/** What `runMember` takes. */
export interface MemberOptions {
  readonly kafka: KafkaPort
  readonly inputTopics: readonly string[]
  readonly outcomeTopics: OutcomeTopics
  /** What happens to a record: exactly one outcome per record it is given, in any order. */
  readonly flow: OperatorFunction<SourceRecord, Outcome>
  readonly limits?: MemberLimits
  /** How outcome messages are grouped into produce requests and retried. */
  readonly produce?: Pick<
    ProduceOutcomesOptions,
    'lingerMs' | 'maxMessages' | 'maxRequestBytes' | 'retryDelayMs' | 'maxRetryDelayMs'
  >
  readonly logger?: MemberLogger
  readonly scheduler?: SchedulerLike
}

/** How `stop()` drains. */
export interface StopOptions {
  /** How long to drain before giving up on what is unfinished. Default `limits.shutdownTimeoutMs`. */
  readonly timeoutMs?: number
}

/** A running member. */
export interface Member {
  /** Stops fetching, lets the flow finish what it holds, writes the outcomes, commits, leaves. Idempotent. */
  stop(options?: StopOptions): Promise<void>
  /** Resolves when the member stopped after `stop()`; rejects with the fault that stopped it otherwise. */
  readonly done: Promise<void>
  /** Hot: subscribe before the events you care about happen. Completes after `stopped`. */
  readonly events: Observable<MemberEvent>
  /** Counters now. */
  metrics(): MemberCounters
  /** True once the member joined the group, until it stops, while Kafka answers it (see `notReadyBecause`). */
  ready(): boolean
  /**
   * Why `ready()` is false: not joined yet (or stopping), the consumer lost the group and is reconnecting, or
   * outcome records cannot be written. Undefined when ready.
   */
  notReadyBecause(): string | undefined
  /**
   * Changes the in-flight bound at run time (e.g. to follow what the sink can send soon); fetching pauses
   * above it and resumes at half of it.
   */
  setMaxInFlightRecords(limit: number): void
}

const DEFAULT_LIMITS = {
  maxInFlightRecords: 10_000,
  commitIntervalMs: 1_000,
  shutdownTimeoutMs: 30_000,
  stallWarningMs: 60_000,
} as const

const silentLogger: MemberLogger = { info: () => undefined, warn: () => undefined, error: () => undefined }

/** Starts a member running `flow`; see the diagram above. */
export function runMember(options: MemberOptions): Member {
  const { kafka, flow } = options
  const limits = { ...DEFAULT_LIMITS, ...options.limits }
  const scheduler = options.scheduler ?? asyncScheduler
  const log = options.logger ?? silentLogger
  const events = new Subject<MemberEvent>()
  const counters = newMemberCounters()
  const ledger = new OffsetLedger()
  const highWatermarks: ByTopicPartition<bigint> = new Map()
  const records = new Subject<SourceRecord>()

  let maxInFlight = checkLimit(limits.maxInFlightRecords)
  let totalPartitions = 0
  let state: 'starting' | 'running' | 'stopping' | 'stopped' = 'starting'
  let joined = false
  // What keeps a joined member from its job while Kafka is away (readiness): the consumer reconnecting (until
  // its next join), outcome writes failing (until one succeeds).
  let consumerTrouble: string | undefined
  let failedWrites = 0
  let lastWriteError: string | undefined
  const notReadyBecause = (): string | undefined => {
    if (!joined || state !== 'running') return 'the member has not joined the consumer group, or is stopping'
    if (consumerTrouble !== undefined) return consumerTrouble
    if (failedWrites > 0) {
      return `writing outcome records to Kafka failed ${failedWrites} time${failedWrites === 1 ? '' : 's'} in a row: ${lastWriteError ?? 'unknown error'}`
    }
    return undefined
  }
  let paused = false
  let flowSubscription: Subscription | undefined
  let produceSubscription: Subscription | undefined
  let commitTimer: Subscription | undefined
  let stopTimer: Subscription | undefined
  const stalled = new Map<string, string>()
  // Partitions newly assigned whose completion marks are still being read: their records wait until then.
  const loadingMarks = new Set<string>()

  // ── backpressure ──────────────────────────────────────────────────────────────────────────────────────
  const pause = (): void => {
    if (paused) return
    paused = true
    kafka.consumer.pause()
    events.next({ type: 'paused' })
  }
  const relieve = (): void => {
    if (paused && state === 'running' && ledger.inFlight <= Math.floor(maxInFlight / 2)) {
      paused = false
      kafka.consumer.resume()
      events.next({ type: 'resumed' })
    }
  }

  // ── commits: one at a time, each link settled, so a failed commit never blocks the ones after it ────────
  let committing: Promise<void> = Promise.resolve()
  const commitFinished = (why: string): Promise<void> => {
    committing = committing.then(async () => {
      const offsets = ledger.committable()
      if (offsets.length === 0) return
      try {
        await kafka.consumer.commit(offsets)
        ledger.markCommitted(offsets)
        counters.commits++
        events.next({ type: 'committed', offsets })
      } catch (error) {
        // Not fatal: the offsets are offered again next time; after a rebalance the new owner redoes the work.
        counters.commitFailures++
        log.warn('commit failed', { why, error: messageOf(error) })
      }
    })
    return committing
  }

  const warnAboutStalls = (): void => {
    const now = scheduler.now()
    const stalls = ledger.stalledSince(now - limits.stallWarningMs)
    counters.stalledPartitions = stalls.length
    const current = new Set<string>()
    for (const stall of stalls) {
      const key = `${stall.partition}:${stall.topic}`
      current.add(key)
      if (stalled.get(key) === stall.offset) continue
      stalled.set(key, stall.offset)
      const forMs = now - stall.since
      log.warn('partition is not advancing: its oldest unfinished record is still in the flow', {
        topic: stall.topic,
        partition: stall.partition,
        offset: stall.offset,
        forMs,
        inFlight: ledger.unfinished(stall.topic, stall.partition),
      })
      events.next({
        type: 'stalled',
        topic: stall.topic,
        partition: stall.partition,
        offset: stall.offset,
        forMs,
      })
    }
    for (const key of [...stalled.keys()]) if (!current.has(key)) stalled.delete(key)
  }

  const tick = (): void => {
    void commitFinished('interval')
    warnAboutStalls()
    commitTimer = scheduler.schedule(tick, limits.commitIntervalMs)
  }

  // ── the consumer's side ───────────────────────────────────────────────────────────────────────────────
  const onRecords = (
    topic: string,
    partition: number,
    fetched: readonly FetchedRecord[],
    highWatermark?: string,
  ): number => {
    if (state !== 'running' || loadingMarks.has(`${partition}:${topic}`)) return 0
    if (highWatermark !== undefined)
      setPartitionValue(highWatermarks, topic, partition, BigInt(highWatermark))
    const now = scheduler.now()
    let taken = 0
    for (const record of fetched) {
      if (state !== 'running') break
      if (ledger.inFlight >= maxInFlight) {
        // The rest stays unresolved: the client fetches it again from here after resume(), so one fetch of
        // several partitions' worth of records cannot overshoot the bound.
        pause()
        break
      }
      taken++
      if (ledger.admitIfDone(topic, partition, record.offset, now)) {
        counters.doneElsewhere++
        continue
      }
      const lease = ledger.admit(topic, partition, record.offset, now)
      if (lease === undefined) {
        counters.refetchedSkipped++
        continue
      }
      counters.recordsIn++
      records.next(sourceRecordOf(topic, partition, record, lease))
    }
    return taken
  }

  const onAssigned = (assignment: readonly TopicPartition[]): void => {
    joined = true
    consumerTrouble = undefined
    const kept = new Set(assignment.map(({ topic, partition }) => `${partition}:${topic}`))
    const held = ledger.partitions()
    const revoked = held.filter(({ topic, partition }) => !kept.has(`${partition}:${topic}`))
    const heldKeys = new Set(held.map(({ topic, partition }) => `${partition}:${topic}`))
    readCompletionMarks(assignment.filter(({ topic, partition }) => !heldKeys.has(`${partition}:${topic}`)))
    let abandoned = 0
    for (const { topic, partition } of revoked) {
      abandoned += ledger.revoke(topic, partition)
      highWatermarks.get(topic)?.delete(partition)
    }
    counters.assignedPartitions = assignment.length
    const share = totalPartitions === 0 ? 1 : Math.min(1, Math.max(assignment.length, 1) / totalPartitions)
    log.info('partitions assigned', {
      partitions: assignment.length,
      of: totalPartitions,
      share,
      revoked: revoked.length,
    })
    events.next({ type: 'assigned', partitions: assignment, share, revoked })
    if (abandoned > 0) {
      counters.abandoned += abandoned
      log.warn('abandoned unfinished records of revoked partitions; their new owner redoes them', {
        records: abandoned,
        partitions: revoked.map(({ topic, partition }) => `${topic}/${partition}`),
      })
      events.next({ type: 'abandoned', partitions: revoked, records: abandoned })
    }
    relieve()
  }

  /**
   * A partition this member did not hold: what its last commit's completion marks say is done above the
   * committed offset is skipped instead of redone. Its records wait until the marks are read (a failure to read
   * them only costs duplicates).
   */
  const readCompletionMarks = (partitions: readonly TopicPartition[]): void => {
    if (partitions.length === 0) return
    const keys = partitions.map(({ topic, partition }) => `${partition}:${topic}`)
    for (const key of keys) loadingMarks.add(key)
    kafka.consumer
      .committed(partitions)
      .then(
        (commits) => {
          for (const commit of commits) ledger.expectDone(commit.topic, commit.partition, commit)
        },
        (error: unknown) =>
          log.warn('could not read the completion marks of new partitions', { error: messageOf(error) }),
      )
      .finally(() => {
        for (const key of keys) loadingMarks.delete(key)
      })
  }

  // ── the flow's side ───────────────────────────────────────────────────────────────────────────────────
  const topics = options.outcomeTopics
  const finish = (source: SourceRecord): void => {
    ledger.complete(source.topic, source.partition, source.offset, source.lease, scheduler.now())
  }
  const toWrite = new Subject<OutcomeMessage>()
  // A throw in a subscriber's `next` would escape RxJS as an unhandled error: faults in the handlers stop the
  // member instead (an outcome for a record the flow was not given, or given twice, is such a fault).
  const guarded =
    <T>(handle: (value: T) => void) =>
    (value: T): void => {
      try {
        handle(value)
      } catch (error) {
        fail(
          error instanceof AttendanceStreamError
            ? error
            : new AttendanceStreamError(
                'INTERNAL',
                `the flow's outcomes broke the member: ${messageOf(error)}`,
                {
                  cause: error,
                },
              ),
        )
      }
    }
  const onOutcome = (outcome: Outcome): void => {
    if (!isOutcome(outcome)) {
      throw new AttendanceStreamError('INTERNAL', 'the flow emitted something that is not an outcome')
    }
    if (outcome.source.lease?.revoked === true) {
      counters.droppedAfterRevoke++
      return
    }
    const message = outcomeMessage(outcome, topics)
    if (message !== undefined) {
      toWrite.next(message)
      return
    }
    counters.skipped++
    finish(outcome.source)
    relieve()
  }
  const onWritten = (group: readonly OutcomeMessage[]): void => {
    for (const message of group) {
      // Written, but the partition went away meanwhile: its new owner redoes it, nothing to commit here.
      if (message.source.lease?.revoked === true) continue
      if (message.kind === 'result') counters.results++
      else {
        counters.errors++
        const code = message.code ?? 'UNKNOWN'
        counters.errorsByCode[code] = (counters.errorsByCode[code] ?? 0) + 1
      }
      finish(message.source)
    }
    relieve()
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────────────────────────────────
  let settle!: { resolve: () => void; reject: (error: unknown) => void }
  const done = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject }
  })
  // `done` is for callers; an unobserved failure must not crash the process on its own.
  done.catch(() => undefined)

  let shuttingDown: Promise<void> | undefined
  const shutdown = (failure?: { error: unknown }): Promise<void> => {
    shuttingDown ??= (async () => {
      state = 'stopping'
      commitTimer?.unsubscribe()
      stopTimer?.unsubscribe()
      flowSubscription?.unsubscribe()
      produceSubscription?.unsubscribe()
      // Only acknowledged outcomes are in the ledger's safe points: committing them is right on every path.
      await commitFinished('shutdown')
      await Promise.allSettled([kafka.consumer.stop(), kafka.producer.disconnect()])
      state = 'stopped'
      events.next({ type: 'stopped', reason: failure === undefined ? 'stop' : 'error' })
      events.complete()
      if (failure === undefined) settle.resolve()
      else settle.reject(failure.error)
    })()
    return shuttingDown
  }
  const fail = (error: unknown): void => {
    if (shuttingDown !== undefined) return
    log.error('member failed', { error: messageOf(error), code: codeOf(error) })
    void shutdown({ error })
  }

  const start = async (): Promise<void> => {
    const counts = await kafka.admin.partitionCounts(options.inputTopics)
    const missing = options.inputTopics.filter((topic) => !counts.has(topic))
    if (missing.length > 0) {
      throw new AttendanceStreamError(
        'KAFKA_TOPIC_MISSING',
        `input topics do not exist: ${missing.join(', ')}`,
        {
          context: { topics: missing.join(',') },
        },
      )
    }
    totalPartitions = [...counts.values()].reduce((n, c) => n + c, 0)
    await kafka.producer.connect()
    if (shuttingDown !== undefined) return
    // Two subscriptions, not one with a child: the flow's completes (and is finalized) before the last
    // outcomes are written, and a child subscription would be torn down with it.
    // Failed writes each say so; the first one that succeeds after them says Kafka takes outcomes again, so an
    // operator sees where an outage ended (a broker restart shows as these two lines).
    const send = async (group: readonly OutcomeMessage[]): Promise<void> => {
      await kafka.producer.send(group)
      if (failedWrites === 0) return
      log.info('writing outcome records works again', { failedAttempts: failedWrites })
      failedWrites = 0
      lastWriteError = undefined
    }
    produceSubscription = toWrite
      .pipe(
        produceOutcomes(send, {
          ...options.produce,
          scheduler,
          onRetry: (error, attempt, delayMs) => {
            failedWrites++
            lastWriteError = messageOf(error)
            counters.produceRetries++
            log.warn('writing outcome records failed; trying again', {
              error: messageOf(error),
              attempt,
              delayMs,
            })
          },
        }),
      )
      .subscribe({ next: guarded(onWritten), error: fail, complete: () => void shutdown() })
    flowSubscription = records
      .pipe(flow)
      .subscribe({ next: guarded(onOutcome), error: fail, complete: () => toWrite.complete() })
    state = 'running'
    commitTimer = scheduler.schedule(tick, limits.commitIntervalMs)
    await kafka.consumer.start({
      onRecords,
      onAssigned,
      onRevoking: () => commitFinished('rebalance'),
      onFailed: fail,
      onUnavailable: (reason) => {
        consumerTrouble = reason
      },
    })
    log.info('member joined the group', { inputTopics: options.inputTopics, partitions: totalPartitions })
  }
  start().catch((error: unknown) => {
    const wrapped =
      error instanceof AttendanceStreamError
        ? error
        : new AttendanceStreamError('KAFKA_UNAVAILABLE', `could not start the member: ${messageOf(error)}`, {
            cause: error,
            retryable: true,
          })
    fail(wrapped)
  })

  let stopping: Promise<void> | undefined
  const stop = (stopOptions: StopOptions = {}): Promise<void> => {
    stopping ??= (async () => {
      if (shuttingDown === undefined) {
        events.next({ type: 'stopping' })
        const timeoutMs = stopOptions.timeoutMs ?? limits.shutdownTimeoutMs
        if (state === 'starting') {
          // Nothing was handed to a flow yet: nothing to drain.
          await shutdown()
        } else {
          state = 'stopping'
          kafka.consumer.pause()
          stopTimer = scheduler.schedule(() => {
            log.warn('drain timed out; committing only finished work', {
              timeoutMs,
              inFlight: ledger.inFlight,
            })
            void shutdown()
          }, timeoutMs)
          // The flow sees the end of its input: open batches flush, and its completion ends the member.
          records.complete()
        }
      }
      await done.catch(() => undefined)
    })()
    return stopping
  }

  const metrics = (): MemberCounters => {
    let lag = 0n
    for (const [topic, byPartition] of highWatermarks) {
      for (const [partition, hw] of byPartition) {
        const safe = ledger.safeOffset(topic, partition)
        if (safe !== undefined && hw > BigInt(safe)) lag += hw - BigInt(safe)
      }
    }
    return {
      ...counters,
      errorsByCode: { ...counters.errorsByCode },
      inFlight: ledger.inFlight,
      paused,
      lag: Number(lag),
    }
  }

  return {
    stop,
    done,
    events: events.asObservable(),
    metrics,
    ready: () => notReadyBecause() === undefined,
    notReadyBecause,
    setMaxInFlightRecords: (limit) => {
      maxInFlight = checkLimit(limit)
      relieve()
    },
  }
}

const checkLimit = (limit: number): number => {
  if (!(Number.isSafeInteger(limit) && limit >= 1)) {
    throw new AttendanceStreamError(
      'INVALID_CONFIG',
      `maxInFlightRecords must be an integer ≥ 1, got ${limit}`,
    )
  }
  return limit
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))
const codeOf = (error: unknown): string | undefined =>
  error instanceof AttendanceStreamError ? error.code : undefined
