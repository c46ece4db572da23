import { Counter, Gauge, type Registry } from 'prom-client'
import type { SinkMetrics } from '../sinks/sinkMetrics.js'

/**
 * The pipeline's numbers, kept as plain counters (for the handle's `metrics()` and the demo) and published as
 * Prometheus metrics on a prom-client registry when one is given. HubSpot's numbers come from the sink's own
 * metrics, read at scrape time, so there is one source of truth for each figure.
 */

export interface PipelineCounters {
  recordsIn: number
  results: number
  errors: number
  errorsByCode: Record<string, number>
  batches: number
  inputsInBatches: number
  commits: number
  /** Outcomes of work fetched before a rebalance, dropped after `drainTimeoutMs` (the new owner redoes it). */
  abandoned: number
  inFlight: number
  paused: boolean
  assignedPartitions: number
  /** Sum over assigned partitions of (high watermark − next offset to fetch). */
  lag: number
}

export const newCounters = (): PipelineCounters => ({
  recordsIn: 0,
  results: 0,
  errors: 0,
  errorsByCode: {},
  batches: 0,
  inputsInBatches: 0,
  commits: 0,
  abandoned: 0,
  inFlight: 0,
  paused: false,
  assignedPartitions: 0,
  lag: 0,
})

/** Registers the pipeline's metrics on `registry`; the values are read from `counters` and `sink` on scrape. */
export const registerPipelineMetrics = (
  registry: Registry,
  counters: () => PipelineCounters,
  sink: SinkMetrics,
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
}
