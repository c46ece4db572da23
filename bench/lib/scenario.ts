import type { BenchKafka } from './benchKafka.js'

export type ScenarioId = 'B1' | 'B2' | 'B3' | 'B4' | 'B5' | 'B6'

export interface ScenarioContext {
  readonly kafka: BenchKafka
  /** Tiny sizes and durations, so the whole suite runs in well under a minute. */
  readonly smoke: boolean
  /** Progress lines (stderr), so stdout keeps only the table. */
  readonly log: (line: string) => void
}

/** One line of the results table: a measured value, and the target when it has one. */
export interface ResultRow {
  readonly metric: string
  readonly value: number
  readonly unit: string
  /** Human-readable target, e.g. `≥ 0.5`. */
  readonly target?: string
  readonly met?: boolean
}

export interface ScenarioResult {
  readonly id: ScenarioId
  readonly title: string
  /** What was run: sizes, durations, settings. */
  readonly setup: Readonly<Record<string, unknown>>
  readonly rows: readonly ResultRow[]
  /** Series for charts and anything else worth keeping in the JSON. */
  readonly data: Readonly<Record<string, unknown>>
}

export interface Scenario {
  readonly id: ScenarioId
  readonly title: string
  run(context: ScenarioContext): Promise<ScenarioResult>
}
