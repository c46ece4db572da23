import { Kafka, type KafkaConfig, type logCreator, logLevel } from 'kafkajs'
import type { Registry } from 'prom-client'
import { interval, type Observable, tap } from 'rxjs'
import type { PipelineConfig } from '../config/pipelineConfig.js'
import { AttendanceStreamError } from '../errors.js'
import { kafkaJsPort } from '../member/kafkaJsPort.js'
import type { KafkaPort } from '../member/kafkaPort.js'
import type { MemberEvent } from '../member/memberEvents.js'
import { type MemberLogger, runMember, type StopOptions } from '../member/runMember.js'
import { createHubSpotClient, type HubSpotClient } from '../sinks/hubspot/client.js'
import { createHubSpotSink, type HubSpotSink } from '../sinks/hubspotSink.js'
import type { GateTransition } from '../sinks/outageGate.js'
import { nextMidnightIn } from '../sinks/rollingWindowBudget.js'
import { routeByAccount } from '../sinks/routeByAccount.js'
import { SinkMetrics, type SinkMetricsSnapshot } from '../sinks/sinkMetrics.js'
import { type AttendanceFlowSteps, attendanceFlow } from './attendanceFlow.js'
import { checkBrokerCertificate } from './checkBrokerCertificate.js'
import { fetchAheadLimit } from './fetchAhead.js'
import { kafkaAccessFault } from './kafkaAccessFault.js'
import { kafkaConfigOf } from './kafkaClientConfig.js'
import { type PipelineCounters, registerPipelineMetrics } from './pipelineMetrics.js'

export { kafkaConfigOf } from './kafkaClientConfig.js'

/**
 * One consumer-group member of the whole pipeline: the generic member (src/member: Kafka in, outcomes out,
 * safe commits) running the attendance flow (decode → your steps → batch → HubSpot). This module only wires
 * the two from a {@link PipelineConfig}.
 *
 * Guarantees: every input record ends as exactly one result or error record (at least once across crashes and
 * rebalances: a replay may write it again); an offset is committed only once every record below it in its
 * partition has an outcome acknowledged by Kafka.
 */

/** Where the pipeline logs; the CLI's JSON logger fits, and so does `console`. */
export type PipelineLogger = MemberLogger

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
export type PipelineEvent = MemberEvent

/** A snapshot of a member's counters and of its HubSpot sink's metrics. */
export interface PipelineMetrics extends PipelineCounters {
  readonly sink: SinkMetricsSnapshot
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
  /** True once the member joined the group, while it runs, Kafka answers it and every HubSpot account answers. */
  ready(): boolean
  /**
   * Why `ready()` is false (not joined yet, stopping, Kafka away: the consumer reconnecting or outcome writes
   * failing; an account's HubSpot outage), or undefined when ready.
   */
  notReadyBecause(): string | undefined
  /**
   * What `JSON.stringify(pipeline)` gives: readiness and counters. Without it the hot `events` (a Subject with
   * its subscribers) would make `JSON.stringify` throw on a circular structure when a handle is logged.
   */
  toJSON(): { readonly ready: boolean; readonly notReadyBecause?: string; readonly metrics: PipelineMetrics }
}

/**
 * Starts one consumer-group member of the whole pipeline (decode → batch → HubSpot → outcome records) and
 * returns its handle: {@link runMember} on the kafkajs port, running {@link attendanceFlow}. Your own steps go
 * into `config.steps` (or compose `runMember({ flow })` yourself).
 *
 * @example
 * const pipeline = attendancePipeline(config)
 * process.once('SIGTERM', () => void pipeline.stop())
 * await pipeline.done
 */
export function attendancePipeline(
  config: PipelineConfig & { readonly steps?: AttendanceFlowSteps },
  options: AttendancePipelineOptions = {},
): AttendancePipeline {
  const log = options.logger ?? silentLogger
  // Our own client only: a client passed in may not be configured as `config.kafka` says.
  const kafkaConfig = options.kafka === undefined ? kafkaConfigOf(config) : undefined
  const kafka =
    options.kafka ?? new Kafka({ ...(kafkaConfig as KafkaConfig), logCreator: kafkaLogCreator(log) })

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
  if (config.hubspot.accounts[config.hubspot.defaultAccount] === undefined) {
    throw new AttendanceStreamError('INVALID_CONFIG', `hubspot.defaultAccount names no configured account`)
  }
  // One sink per account, each with the account's own budget, in-flight cap, daily limit and outage gate; the
  // batches find theirs by their key's account (decoding routed each record: its field, its topic, the default).
  const sinkMetrics = new SinkMetrics()
  const onGateTransition = (transition: GateTransition): void => {
    if (transition.state === 'down') {
      log.warn('HubSpot is down for an account: holding its batches and probing', {
        account: transition.account,
        cause: transition.cause,
      })
    } else {
      log.info('HubSpot is back for an account', {
        account: transition.account,
        outageMs: transition.outageMs,
        probes: transition.probes,
      })
    }
  }
  const sink: HubSpotSink = routeByAccount(
    new Map(
      Object.entries(config.hubspot.accounts).map(([name, account]) => [
        name,
        createHubSpotSink({
          client: { [name]: clients[name] as HubSpotClient },
          ...(account.requestsPer10s === undefined ? {} : { requestsPer10s: account.requestsPer10s }),
          rateLimitHeadroom: account.rateLimitHeadroom,
          ...(account.dailyLimit === undefined ? {} : { dailyLimit: account.dailyLimit }),
          ...(account.timeZone === undefined ? {} : { dailyResetAt: nextMidnightIn(account.timeZone) }),
          maxInFlightRequests: account.maxInFlightRequests,
          retry: config.retry,
          onConfigFault: config.onConfigFault as 'stop' | 'deadLetter',
          mode: account.mode,
          ...(config.hubspot.maxOutageMs === undefined
            ? {}
            : { outage: { maxOutageMs: config.hubspot.maxOutageMs } }),
          onGateTransition,
          metrics: sinkMetrics,
        }),
      ]),
    ),
    sinkMetrics,
  )

  const flowCounters = { batches: 0, inputsInBatches: 0, recordsInBatches: 0 }
  const snapshotCounters = (): PipelineCounters => ({ ...member.metrics(), ...flowCounters })
  const published =
    options.registry === undefined
      ? undefined
      : registerPipelineMetrics(options.registry, snapshotCounters, sink.metrics, () => sink.health(), {
          accountLabel: (name) => config.hubspot.accounts[name]?.metricsLabel ?? name,
        })
  const attendance = attendanceFlow({
    decode: {
      maxValueBytes: config.limits.maxValueBytes,
      notBefore: config.decode.notBefore,
      maxFutureMs: config.decode.maxFutureMs,
      accounts: {
        names: Object.keys(config.hubspot.accounts),
        default: config.hubspot.defaultAccount,
        byTopic: config.hubspot.topicAccounts,
      },
    },
    batching: config.batching,
    sink,
    ...(config.steps === undefined ? {} : { steps: config.steps }),
    onBatch: (batch) => {
      flowCounters.batches++
      flowCounters.inputsInBatches += batch.inputs.length
      flowCounters.recordsInBatches += batch.records.length
    },
  })
  const flow: typeof attendance =
    published === undefined
      ? attendance
      : (records) => attendance(records).pipe(tap((outcome) => published.observeOutcome(outcome)))

  const port = kafkaJsPort({
    kafka,
    groupId: config.kafka.groupId,
    topics: config.kafka.inputTopics,
    fromBeginning: config.kafka.fromBeginning,
    ...(config.kafka.sessionTimeoutMs === undefined
      ? {}
      : { sessionTimeoutMs: config.kafka.sessionTimeoutMs }),
    logger: log,
  })
  const member = runMember({
    kafka: kafkaConfig?.ssl === undefined ? port : afterCertificateCheck(port, kafkaConfig),
    inputTopics: config.kafka.inputTopics,
    outcomeTopics: { results: config.kafka.resultsTopic, errors: config.kafka.errorsTopic },
    flow,
    limits: {
      maxInFlightRecords: config.limits.maxInFlightRecords,
      commitIntervalMs: config.limits.commitIntervalMs,
      shutdownTimeoutMs: config.limits.shutdownTimeoutMs,
      stallWarningMs: config.limits.drainTimeoutMs,
    },
    logger: log,
  })
  // The account's budget is shared by the group: each member takes the share of the partitions it owns.
  member.events.subscribe((event) => {
    if (event.type === 'assigned') {
      sink.setShare(event.share)
      followSink()
    }
  })

  // Fetch-ahead follows the sink: hold what the next two windows of requests can carry, not the whole
  // `maxInFlightRecords` (at 4 requests/s, 10,000 records would wait 25 s here, to be redone after a crash).
  // Accounts not heard from yet keep the configured bound: their allowance is unknown until they answer.
  const followSink = (): void => {
    const perWindow = sink.requestsPerWindow()
    if (perWindow.size < Object.keys(config.hubspot.accounts).length) return
    const { recordsInBatches, inputsInBatches } = flowCounters
    const mergedRecordsPerInput = inputsInBatches === 0 ? 1 : Math.max(1, recordsInBatches / inputsInBatches)
    member.setMaxInFlightRecords(
      fetchAheadLimit({
        requestsPerWindow: [...perWindow.values()].reduce((sum, n) => sum + n, 0),
        recordsPerRequest: config.batching.maxBatchSize * mergedRecordsPerInput,
        ceiling: config.limits.maxInFlightRecords,
      }),
    )
  }
  const following = interval(1_000).subscribe(followSink)

  const closeSink = async (): Promise<void> => {
    following.unsubscribe()
    published?.close()
    await sink.close()
    await Promise.allSettled(
      Object.entries(clients)
        .filter(([name]) => options.hubspotClients?.[name] === undefined)
        .map(([, client]) => client.close()),
    )
  }
  const done = member.done.then(closeSink, async (error: unknown) => {
    await closeSink()
    // A refused login or an untrusted certificate: say so, not "Kafka unavailable" (which would be retried).
    throw kafkaAccessFault(error) ?? error
  })
  done.catch(() => undefined)

  // An account whose outage gate is open holds its records: the member still runs, but is not doing its job.
  const notReadyBecause = (): string | undefined => {
    const memberWhy = member.notReadyBecause()
    if (memberWhy !== undefined) return memberWhy
    const down = sink.health().filter((gate) => gate.state === 'down')
    if (down.length === 0) return undefined
    return down
      .map((gate) => `HubSpot account "${gate.account}" is down (${gate.cause ?? 'unknown cause'})`)
      .join('; ')
  }

  const metrics = (): PipelineMetrics => ({ ...snapshotCounters(), sink: sink.metrics.snapshot() })
  return {
    stop: async (stopOptions) => {
      await member.stop(stopOptions)
      await done.catch(() => undefined)
    },
    done,
    events: member.events,
    metrics,
    ready: () => notReadyBecause() === undefined,
    notReadyBecause,
    toJSON: () => {
      const why = notReadyBecause()
      return {
        ready: why === undefined,
        ...(why === undefined ? {} : { notReadyBecause: why }),
        metrics: metrics(),
      }
    },
  }
}

/**
 * The port, with the broker's certificate checked once before its first connection (the member's first call
 * is on one of these three): an untrusted certificate fails the member at once, instead of after kafkajs's
 * retries (see {@link checkBrokerCertificate}).
 */
const afterCertificateCheck = (port: KafkaPort, kafkaConfig: KafkaConfig): KafkaPort => {
  let checked: Promise<void> | undefined
  const checkedFirst =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      checked ??= checkBrokerCertificate(kafkaConfig).then((fault) => {
        if (fault !== undefined) throw fault
      })
      await checked
      return call(...args)
    }
  return {
    consumer: { ...port.consumer, start: checkedFirst((listener) => port.consumer.start(listener)) },
    producer: { ...port.producer, connect: checkedFirst(() => port.producer.connect()) },
    admin: { ...port.admin, partitionCounts: checkedFirst((topics) => port.admin.partitionCounts(topics)) },
  }
}

const silentLogger: PipelineLogger = { info: () => undefined, warn: () => undefined, error: () => undefined }

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
