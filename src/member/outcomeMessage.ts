import type { Outcome } from './outcome.js'
import { keyBytes, type SourceRecord } from './sourceRecord.js'

/**
 * An outcome as the Kafka message that records it (records.md §3): keyed by the input record's key, with
 * `source-topic`, `source-partition`, `source-offset` headers and, on errors, `error-code`. A pure function of the
 * outcome: everything it needs travels with the record.
 */

/** Where outcomes go: the results and errors topics (they may be the same). */
export interface OutcomeTopics {
  readonly results: string
  readonly errors: string
}

/** One outcome as a Kafka message, with the input record it is the outcome of. */
export interface OutcomeMessage {
  readonly topic: string
  readonly key: Buffer | null
  readonly value: string
  readonly headers: Readonly<Record<string, string>>
  /** The input record (not sent: the member completes its offset once the message is acknowledged). */
  readonly source: SourceRecord
  readonly kind: 'result' | 'error'
  /** The error code, for errors. */
  readonly code?: string
}

/** The message that records `outcome`, or `undefined` for `Skipped` (nothing is written). */
export const outcomeMessage = (outcome: Outcome, topics: OutcomeTopics): OutcomeMessage | undefined => {
  const { source } = outcome
  switch (outcome._tag) {
    case 'Skipped':
      return undefined
    case 'Result':
      return {
        topic: topics.results,
        key: keyBytes(source),
        value: JSON.stringify(outcome.record),
        headers: sourceHeaders(source),
        source,
        kind: 'result',
      }
    case 'Error': {
      const code = outcome.record.code
      return {
        topic: topics.errors,
        key: keyBytes(source),
        value: JSON.stringify(outcome.record),
        headers: { ...sourceHeaders(source), 'error-code': code },
        source,
        kind: 'error',
        code,
      }
    }
  }
}

const sourceHeaders = (source: SourceRecord): Record<string, string> => ({
  'source-topic': source.topic,
  'source-partition': String(source.partition),
  'source-offset': source.offset,
})
