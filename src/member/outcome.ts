import type { SourceRecord } from './sourceRecord.js'

/**
 * What a flow says about each record it was given: exactly one outcome per record, in any order.
 *
 * - `Result`: written to the results topic (its `record` as JSON).
 * - `Error`: written to the errors topic (its `record` as JSON, with an `error-code` header).
 * - `Skipped`: done, nothing to write — a filter's way to let the record's offset be committed.
 *
 * Outcomes are data: a flow never reports a bad record through the RxJS error channel, which is kept for
 * infrastructure faults that should stop the member.
 */

/** A record the flow finished with a result. */
export interface Result<R = unknown> {
  readonly _tag: 'Result'
  readonly source: SourceRecord
  /** The result record: anything JSON can carry. */
  readonly record: R
}

/** A record the flow could not finish: its error record goes to the errors topic. */
export interface ErrorOutcome<E extends { readonly code: string } = { readonly code: string }> {
  readonly _tag: 'Error'
  readonly source: SourceRecord
  /** The error record: anything JSON can carry, with the code that goes into the `error-code` header. */
  readonly record: E
}

/** A record the flow chose to drop: nothing is written, its offset is committed like any other. */
export interface Skipped {
  readonly _tag: 'Skipped'
  readonly source: SourceRecord
  /** Why, for metrics and logs (e.g. `'internal-test-badge'`); not written anywhere else. */
  readonly reason: string
}

/** One record's outcome. */
export type Outcome<R = unknown, E extends { readonly code: string } = { readonly code: string }> =
  | Result<R>
  | ErrorOutcome<E>
  | Skipped

/** A `Result` outcome. */
export const result = <R>(source: SourceRecord, record: R): Result<R> => ({ _tag: 'Result', source, record })

/** An `Error` outcome. */
export const failure = <E extends { readonly code: string }>(
  source: SourceRecord,
  record: E,
): ErrorOutcome<E> => ({
  _tag: 'Error',
  source,
  record,
})

/** A `Skipped` outcome. */
export const skipped = (source: SourceRecord, reason: string): Skipped => ({
  _tag: 'Skipped',
  source,
  reason,
})

/** True for the three outcome shapes (and nothing a flow may pass along besides them). */
export const isOutcome = (u: unknown): u is Outcome =>
  typeof u === 'object' &&
  u !== null &&
  '_tag' in u &&
  (u._tag === 'Result' || u._tag === 'Error' || u._tag === 'Skipped') &&
  'source' in u
