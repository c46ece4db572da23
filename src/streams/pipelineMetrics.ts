import { Counter, Gauge, type Registry } from 'prom-client'
import { type MemberCounters, newMemberCounters } from '../member/memberEvents.js'
import type { GateHealth } from '../sinks/outageGate.js'
import type { SinkMetrics } from '../sinks/sinkMetrics.js'

/**
 * The pipeline's numbers, kept as plain counters (for the handle's `metrics()` and the demo) and published as
 * Prometheus metrics on a prom-client registry when one is given. HubSpot's numbers come from the sink's own
 * metrics, read at scrape time, so there is one source of truth for each figure.
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

/** Registers the pipeline's metrics on `registry`; the values are read from `counters` and `sink` on scrape. */
export const registerPipelineMetrics = (
  registry: Registry,
  counters: () => PipelineCounters,
  sink: SinkMetrics,
  gates: () => readonly GateHealth[] = () => [],
): void => {
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

  const perAccount = (
    name: string,
    help: string,
    labelNames: readonly string[],
    fill: (set: (labels: Record<string, string>, value: number) => void) => void,
  ) =>
    new Gauge<string>({
      name,
      help,
      labelNames: ['account', ...labelNames],
      registers,
      collect() {
        this.reset()
        fill((labels, value) => this.set(labels, value))
      },
    })
  const accounts = () => Object.entries(sink.snapshot().accounts)
  perAccount('attendance_hubspot_requests', 'HubSpot requests by outcome (a counter)', ['outcome'], (set) => {
    for (const [account, a] of accounts()) {
      for (const [outcome, n] of Object.entries(a.requests)) set({ account, outcome }, n ?? 0)
    }
  })
  perAccount('attendance_hubspot_rate_limited', 'HubSpot 429s by policy (a counter)', ['policy'], (set) => {
    for (const [account, a] of accounts()) {
      set({ account, policy: 'TEN_SECONDLY_ROLLING' }, a.rateLimited.tenSecondly)
      set({ account, policy: 'DAILY' }, a.rateLimited.daily)
    }
  })
  perAccount('attendance_hubspot_retries', 'HubSpot requests retried (a counter)', [], (set) => {
    for (const [account, a] of accounts()) set({ account }, a.retries)
  })
  perAccount('attendance_hubspot_inputs_per_request', 'Mean inputs per HubSpot request', [], (set) => {
    for (const [account, a] of accounts()) {
      const h = a.inputsPerRequest
      set({ account }, h.count === 0 ? 0 : h.sum / h.count)
    }
  })
  perAccount('attendance_hubspot_latency_ms_mean', 'Mean HubSpot request latency', [], (set) => {
    for (const [account, a] of accounts()) {
      set({ account }, a.latencyMs.count === 0 ? 0 : a.latencyMs.sum / a.latencyMs.count)
    }
  })
  perAccount('attendance_hubspot_budget_in_use', 'Requests counted in the current 10 s window', [], (set) => {
    for (const [account, a] of accounts()) set({ account }, a.budget.inUse)
  })
  perAccount('attendance_hubspot_budget_capacity', "This member's share of the 10 s allowance", [], (set) => {
    for (const [account, a] of accounts()) set({ account }, a.budget.capacity)
  })
  new Gauge<string>({
    name: 'attendance_hubspot_outage',
    help: "1 while an account's outage gate is open (HubSpot failing as a whole: batches held, probes sent)",
    labelNames: ['account'],
    registers,
    collect() {
      this.reset()
      for (const gate of gates()) this.set({ account: gate.account }, gate.state === 'down' ? 1 : 0)
    },
  })
}
