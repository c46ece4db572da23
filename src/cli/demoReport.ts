import type { OutcomeAudit } from '../testing/outcomeAudit.js'

/** The demo's final report: what happened, and whether every input got exactly one outcome. */
export interface DemoReport {
  readonly ok: boolean
  readonly records: { readonly produced: number; readonly valid: number; readonly malformed: number }
  readonly outcomes: {
    readonly results: number
    readonly errors: number
    readonly missing: number
    readonly duplicated: number
    readonly unexpected: number
    readonly errorsByCode: Readonly<Record<string, number>>
  }
  readonly hubspot: {
    readonly requests: number
    readonly inputsPerRequest: number
    readonly maxRequestsIn10s: number
    readonly limitPer10s: number | null
    /** What the pipeline allows itself per rolling 10 s (90% of the limit by default). */
    readonly budgetPer10s: number
    readonly rateLimited: number
    readonly retries: number
    readonly faultsInjected: number
  }
  readonly latencyMs: {
    readonly p50: number
    readonly p90: number
    readonly p99: number
    readonly max: number
  }
  readonly durationS: number
  readonly members: number
  readonly throughput: number
}

/** The value below which `q` of the sorted values fall (nearest rank). */
export const percentile = (sorted: readonly number[], q: number): number => {
  if (sorted.length === 0) return 0
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank] as number
}

/** Milliseconds from each input's Kafka timestamp to its outcome record's Kafka timestamp. */
export const latencies = (audit: OutcomeAudit): number[] => {
  const out: number[] = []
  for (const { record, writtenAt } of audit.outcomes.values()) {
    const source = record['source'] as { timestamp?: string } | undefined
    const at = Number(source?.timestamp)
    if (Number.isFinite(at)) out.push(Math.max(0, writtenAt - at))
  }
  return out.sort((a, b) => a - b)
}

export const formatReport = (r: DemoReport): string => {
  const codes = Object.entries(r.outcomes.errorsByCode)
    .sort(([, a], [, b]) => b - a)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ')
  const limit = `(budget ${r.hubspot.budgetPer10s}${r.hubspot.limitPer10s === null ? '' : `, limit ${r.hubspot.limitPer10s}`})`
  return [
    '',
    '━━ attendance-stream demo: final report ━━',
    `records      ${r.records.produced} produced (${r.records.valid} valid, ${r.records.malformed} malformed) in ${r.durationS.toFixed(1)} s, ${r.members} member(s), ${Math.round(r.throughput)} records/s`,
    `outcomes     ${r.outcomes.results} results, ${r.outcomes.errors} errors${codes ? ` (${codes})` : ''}`,
    `HubSpot      ${r.hubspot.requests} requests, ${r.hubspot.inputsPerRequest.toFixed(1)} inputs/request, max ${r.hubspot.maxRequestsIn10s} requests in any 10 s ${limit}`,
    `             ${r.hubspot.rateLimited} × 429, ${r.hubspot.retries} retries, ${r.hubspot.faultsInjected} injected faults`,
    `latency      Kafka timestamp → outcome record: p50 ${r.latencyMs.p50} ms, p90 ${r.latencyMs.p90} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms`,
    `check        ${r.ok ? '✔' : '✖'} every input has exactly one outcome (missing ${r.outcomes.missing}, duplicated ${r.outcomes.duplicated}, unexpected ${r.outcomes.unexpected})`,
    '',
  ].join('\n')
}
