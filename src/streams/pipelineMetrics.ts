import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { asyncScheduler } from 'rxjs'
import { type MemberCounters, newMemberCounters } from '../member/memberEvents.js'
import type { Outcome } from '../member/outcome.js'
import type { GateHealth } from '../sinks/outageGate.js'
import { INPUTS_PER_REQUEST_BUCKETS, LATENCY_MS_BUCKETS, type SinkMetrics } from '../sinks/sinkMetrics.js'

/**
 * The pipeline's numbers, kept as plain counters (for the handle's `metrics()` and the demo) and published as
 * Prometheus metrics on a prom-client registry when one is given. HubSpot's numbers come from the sink's own
 * metrics, read at scrape time, so there is one source of truth for each figure.
 *
 * Prometheus conventions: what only counts up is a counter named `…_total`; durations are histograms in seconds
 * (`…_seconds`); no means (a mean over the process's life hides every spike, and cannot be aggregated across
 * members, where histogram buckets can).
 *
 * `attendance_record_latency_seconds` starts at the input record's Kafka timestamp, not at its fetch: that is
 * the latency a user sees (a scan to its attendance in HubSpot), and it includes the time a record waited in the
 * topic behind a backlog, a paused consumer or a rebalance, which fetch-to-outcome would hide. (It is what the
 * bench's B2 measures too.) It ends when the outcome leaves the flow for the outcome producer: the member, a
 * generic module, owns the produce acknowledgement, which adds the producer's linger and one acks=all round
 * trip. With CreateTime topics the start is the producer's clock: a skewed producer skews the figure.
 */

/** A member's counters plus the attendance flow's batching counters. */
export interface PipelineCounters extends MemberCounters {
  batches: number
  inputsInBatches: number
}

export const newCounters = (): PipelineCounters => ({
  ...newMemberCounters(),
  batches: 0,
  inputsInBatches: 0,
})

/**
 * Upper bounds of `attendance_record_latency_seconds`: from a batch's linger (about a second) through HubSpot
 * retries (minutes) to a backlog read after an outage (an hour).
 */
export const RECORD_LATENCY_BUCKETS_SECONDS = [
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600,
] as const

/** How `registerPipelineMetrics` names accounts and reads the clock. */
export interface PipelineMetricsOptions {
  /** The `account` label of an account's series (its `metricsLabel`). Default: the account's name. */
  readonly accountLabel?: (account: string) => string
  /** Wall-clock epoch ms, compared with Kafka record timestamps. Default: `asyncScheduler.now()`. */
  readonly now?: () => number
}

/** What the pipeline feeds the metrics that take observations. */
export interface PipelineMetricsHandle {
  /** Observes an outcome leaving the flow: its record's latency (skipped records are not counted). */
  observeOutcome(outcome: Outcome): void
  /** Stops listening to the sink. */
  close(): void
}

/** Registers the pipeline's metrics on `registry`; the values are read from `counters` and `sink` on scrape. */
export const registerPipelineMetrics = (
  registry: Registry,
  counters: () => PipelineCounters,
  sink: SinkMetrics,
  gates: () => readonly GateHealth[] = () => [],
  options: PipelineMetricsOptions = {},
): PipelineMetricsHandle => {
  const registers = [registry]
  const gauge = (name: string, help: string, read: (c: PipelineCounters) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(counters()))
      },
    })
  new Counter({
    name: 'attendance_records_in_total',
    help: 'Records fetched from the input topics',
    registers,
    collect() {
      this.reset()
      this.inc(counters().recordsIn)
    },
  })
  new Counter({
    name: 'attendance_outcomes_total',
    help: 'Outcome records acknowledged by Kafka, by kind (result, error) and error code',
    labelNames: ['kind', 'code'],
    registers,
    collect() {
      const c = counters()
      this.reset()
      this.inc({ kind: 'result', code: '' }, c.results)
      for (const [code, n] of Object.entries(c.errorsByCode)) this.inc({ kind: 'error', code }, n)
    },
  })
  const counter = (name: string, help: string, read: (c: PipelineCounters) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset()
        this.inc(read(counters()))
      },
    })
  counter(
    'attendance_records_skipped_total',
    'Records a step of the flow skipped (nothing written)',
    (c) => c.skipped,
  )
  counter(
    'attendance_records_refetched_skipped_total',
    'Records refetched after a rebalance that were already in flight or done here, turned away',
    (c) => c.refetchedSkipped,
  )
  counter(
    'attendance_records_abandoned_total',
    'Unfinished records of partitions revoked in a rebalance, given up (their new owner redoes them)',
    (c) => c.abandoned,
  )
  counter('attendance_commits_total', 'Offset commits that Kafka accepted', (c) => c.commits)
  counter(
    'attendance_commit_failures_total',
    'Offset commits that failed (offered again later)',
    (c) => c.commitFailures,
  )
  counter(
    'attendance_produce_retries_total',
    'Produce requests of outcome records sent again after a failure',
    (c) => c.produceRetries,
  )
  new Counter({
    name: 'attendance_batches_total',
    help: 'Batches handed to the HubSpot sink',
    registers,
    collect() {
      this.reset()
      this.inc(counters().batches)
    },
  })
  gauge(
    'attendance_records_in_flight',
    'Records fetched whose outcome is not yet acknowledged',
    (c) => c.inFlight,
  )
  gauge('attendance_consumer_paused', '1 while fetching is paused for backpressure', (c) =>
    c.paused ? 1 : 0,
  )
  gauge('attendance_partitions_assigned', 'Input partitions this member owns', (c) => c.assignedPartitions)
  gauge(
    'attendance_partitions_stalled',
    'Owned partitions whose safe offset has not moved for the stall-warning time while records are unfinished',
    (c) => c.stalledPartitions,
  )
  gauge('attendance_consumer_lag', 'Records in owned partitions not yet fetched', (c) => c.lag)

  const label = options.accountLabel ?? ((account: string) => account)
  const accounts = () =>
    Object.entries(sink.snapshot().accounts).map(([account, a]) => [label(account), a] as const)
  const perAccountGauge = (
    name: string,
    help: string,
    fill: (set: (account: string, value: number) => void) => void,
  ) =>
    new Gauge<string>({
      name,
      help,
      labelNames: ['account'],
      registers,
      collect() {
        this.reset()
        fill((account, value) => this.set({ account }, value))
      },
    })
  // Counters read from the sink's own counts at scrape time (one source of truth): reset, then set to the count.
  const perAccountCounter = (
    name: string,
    help: string,
    labelNames: readonly string[],
    fill: (inc: (labels: Record<string, string>, value: number) => void) => void,
  ) =>
    new Counter<string>({
      name,
      help,
      labelNames: ['account', ...labelNames],
      registers,
      collect() {
        this.reset()
        fill((labels, value) => this.inc(labels, value))
      },
    })
  perAccountCounter(
    'attendance_hubspot_requests_total',
    'HubSpot requests answered, by outcome (success, partial, or the failure kind)',
    ['outcome'],
    (inc) => {
      for (const [account, a] of accounts()) {
        for (const [outcome, n] of Object.entries(a.requests)) inc({ account, outcome }, n ?? 0)
      }
    },
  )
  perAccountCounter(
    'attendance_hubspot_rate_limited_total',
    'HubSpot 429 answers, by policy',
    ['policy'],
    (inc) => {
      for (const [account, a] of accounts()) {
        inc({ account, policy: 'TEN_SECONDLY_ROLLING' }, a.rateLimited.tenSecondly)
        inc({ account, policy: 'DAILY' }, a.rateLimited.daily)
      }
    },
  )
  perAccountCounter('attendance_hubspot_retries_total', 'HubSpot requests sent again', [], (inc) => {
    for (const [account, a] of accounts()) inc({ account }, a.retries)
  })
  perAccountCounter(
    'attendance_hubspot_splits_total',
    'Batches split in two to find the inputs a whole-request 400 was about',
    [],
    (inc) => {
      for (const [account, a] of accounts()) inc({ account }, a.splits)
    },
  )
  perAccountGauge(
    'attendance_hubspot_budget_in_use',
    'Requests counted in the current rolling 10 s window',
    (set) => {
      for (const [account, a] of accounts()) set(account, a.budget.inUse)
    },
  )
  perAccountGauge(
    'attendance_hubspot_budget_capacity',
    "This member's share of the account's requests per rolling 10 s",
    (set) => {
      for (const [account, a] of accounts()) set(account, a.budget.capacity)
    },
  )

  // Histograms take observations, not snapshots: they are fed by the sink's listener as requests are answered.
  const requestDuration = new Histogram<string>({
    name: 'attendance_hubspot_request_duration_seconds',
    help: 'HubSpot request duration, from sending the request to its answer (retries are separate requests)',
    labelNames: ['account'],
    buckets: LATENCY_MS_BUCKETS.map((ms) => ms / 1000),
    registers,
  })
  const inputsPerRequest = new Histogram<string>({
    name: 'attendance_hubspot_inputs_per_request',
    help: 'Inputs (attendance entries) sent in one HubSpot request',
    labelNames: ['account'],
    buckets: [...INPUTS_PER_REQUEST_BUCKETS],
    registers,
  })
  const stopListening = sink.addListener((event) => {
    if (event._tag !== 'request') return
    const labels = { account: label(event.account) }
    requestDuration.observe(labels, event.latencyMs / 1000)
    inputsPerRequest.observe(labels, event.inputs)
  })

  const recordLatency = new Histogram({
    name: 'attendance_record_latency_seconds',
    help: "From an input record's Kafka timestamp to its outcome (result or error) leaving the flow for the outcome topics",
    buckets: [...RECORD_LATENCY_BUCKETS_SECONDS],
    registers,
  })
  const now = options.now ?? (() => asyncScheduler.now())

  new Gauge<string>({
    name: 'attendance_hubspot_outage',
    help: "1 while an account's outage gate is open (HubSpot failing as a whole: batches held, probes sent)",
    labelNames: ['account'],
    registers,
    collect() {
      this.reset()
      for (const gate of gates()) this.set({ account: label(gate.account) }, gate.state === 'down' ? 1 : 0)
    },
  })

  return {
    observeOutcome: (outcome) => {
      if (outcome._tag === 'Skipped') return
      const timestamp = Number(outcome.source.timestamp)
      // A producer's clock ahead of ours would make a negative latency: counted as 0, not dropped.
      if (Number.isFinite(timestamp)) recordLatency.observe(Math.max(0, now() - timestamp) / 1000)
    },
    close: stopListening,
  }
}
