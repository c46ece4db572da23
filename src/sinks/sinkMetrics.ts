import type { FailureKind } from './hubspot/callResult.js'
import type { BudgetSnapshot } from './rollingWindowBudget.js'

/**
 * The sink's counters and histograms, per account, in plain numbers: `snapshot()` for tests and the bench, and a
 * listener per observation so the pipeline can feed prom-client counters and histograms as they happen
 * (prom-client histograms take observations, not snapshots).
 */

/** `success`: every input accepted; `partial`: some rejected in a 200; otherwise the client's failure kind. */
export type RequestOutcome = 'success' | 'partial' | FailureKind

/** One observation the sink makes: a request answered, a retry, a split, an outcome. */
export type SinkMetricEvent =
  | {
      readonly _tag: 'request'
      readonly account: string
      readonly outcome: RequestOutcome
      readonly inputs: number
      readonly latencyMs: number
    }
  | {
      readonly _tag: 'rateLimited'
      readonly account: string
      readonly policy: 'TEN_SECONDLY_ROLLING' | 'DAILY'
    }
  | { readonly _tag: 'retry'; readonly account: string }
  | { readonly _tag: 'split'; readonly account: string }
  | {
      readonly _tag: 'outcome'
      readonly account: string
      readonly outcome: 'Recorded' | 'Rejected' | 'Failed'
    }

/** A histogram's buckets and totals. */
export interface HistogramSnapshot {
  /** Upper bounds (inclusive), ascending; `counts` has one more entry, for +Inf. Counts are not cumulative. */
  readonly buckets: readonly number[]
  readonly counts: readonly number[]
  readonly sum: number
  readonly count: number
  readonly max: number
}

/** One account's requests, latencies, 429s, retries, splits, outcomes and budget. */
export interface AccountMetricsSnapshot {
  readonly requests: Readonly<Partial<Record<RequestOutcome, number>>>
  readonly inputsPerRequest: HistogramSnapshot
  readonly latencyMs: HistogramSnapshot
  readonly rateLimited: { readonly tenSecondly: number; readonly daily: number }
  readonly retries: number
  readonly splits: number
  readonly outcomes: { readonly recorded: number; readonly rejected: number; readonly failed: number }
  readonly budget: BudgetSnapshot & { readonly inFlight: number; readonly maxInFlight: number }
}

/** Every account's metrics, by account name. */
export interface SinkMetricsSnapshot {
  readonly accounts: Readonly<Record<string, AccountMetricsSnapshot>>
}

/** Upper bounds of the inputs-per-request histogram. */
export const INPUTS_PER_REQUEST_BUCKETS = [1, 2, 5, 10, 25, 50, 75, 100] as const
/** Upper bounds of the request latency histogram, in ms. */
export const LATENCY_MS_BUCKETS = [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000] as const

class Histogram {
  private readonly counts: number[]
  private sum = 0
  private count = 0
  private max = 0

  constructor(private readonly buckets: readonly number[]) {
    this.counts = new Array<number>(buckets.length + 1).fill(0)
  }

  observe(value: number): void {
    const i = this.buckets.findIndex((b) => value <= b)
    const slot = i === -1 ? this.buckets.length : i
    this.counts[slot] = (this.counts[slot] ?? 0) + 1
    this.sum += value
    this.count += 1
    this.max = Math.max(this.max, value)
  }

  snapshot(): HistogramSnapshot {
    return {
      buckets: this.buckets,
      counts: [...this.counts],
      sum: this.sum,
      count: this.count,
      max: this.max,
    }
  }
}

class AccountMetrics {
  readonly requests: Partial<Record<RequestOutcome, number>> = {}
  readonly inputsPerRequest = new Histogram(INPUTS_PER_REQUEST_BUCKETS)
  readonly latencyMs = new Histogram(LATENCY_MS_BUCKETS)
  readonly rateLimited = { tenSecondly: 0, daily: 0 }
  retries = 0
  splits = 0
  readonly outcomes = { recorded: 0, rejected: 0, failed: 0 }
}

/** Reads an account's budget and in-flight requests when a snapshot is taken. */
export type BudgetProbe = () => BudgetSnapshot & { readonly inFlight: number; readonly maxInFlight: number }

/** The sink's counters and histograms per account; `addListener` feeds prom-client as they happen. */
export class SinkMetrics {
  private readonly accounts = new Map<string, AccountMetrics>()
  private readonly probes = new Map<string, BudgetProbe>()
  private readonly listeners = new Set<(event: SinkMetricEvent) => void>()

  /** Called for every observation, synchronously; returns the function that removes the listener. */
  addListener(listener: (event: SinkMetricEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** The sink registers how to read an account's budget, so snapshots show it as of now. */
  registerBudget(account: string, probe: BudgetProbe): void {
    this.probes.set(account, probe)
    this.account(account)
  }

  /** Counts one observation and passes it to the listeners. */
  record(event: SinkMetricEvent): void {
    const m = this.account(event.account)
    switch (event._tag) {
      case 'request':
        m.requests[event.outcome] = (m.requests[event.outcome] ?? 0) + 1
        m.inputsPerRequest.observe(event.inputs)
        m.latencyMs.observe(event.latencyMs)
        break
      case 'rateLimited':
        if (event.policy === 'DAILY') m.rateLimited.daily += 1
        else m.rateLimited.tenSecondly += 1
        break
      case 'retry':
        m.retries += 1
        break
      case 'split':
        m.splits += 1
        break
      case 'outcome':
        if (event.outcome === 'Recorded') m.outcomes.recorded += 1
        else if (event.outcome === 'Rejected') m.outcomes.rejected += 1
        else m.outcomes.failed += 1
        break
    }
    for (const listener of this.listeners) listener(event)
  }

  /** Every account's metrics now, as plain numbers. */
  snapshot(): SinkMetricsSnapshot {
    const accounts: Record<string, AccountMetricsSnapshot> = {}
    for (const [account, m] of this.accounts) {
      const probe = this.probes.get(account)
      accounts[account] = {
        requests: { ...m.requests },
        inputsPerRequest: m.inputsPerRequest.snapshot(),
        latencyMs: m.latencyMs.snapshot(),
        rateLimited: { ...m.rateLimited },
        retries: m.retries,
        splits: m.splits,
        outcomes: { ...m.outcomes },
        budget: probe?.() ?? {
          capacity: 0,
          inUse: 0,
          blockedUntil: 0,
          dailyUsed: 0,
          dailyBlockedUntil: 0,
          inFlight: 0,
          maxInFlight: 0,
        },
      }
    }
    return { accounts }
  }

  private account(account: string): AccountMetrics {
    let m = this.accounts.get(account)
    if (m === undefined) {
      m = new AccountMetrics()
      this.accounts.set(account, m)
    }
    return m
  }
}
