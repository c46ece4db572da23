import type { SourceCoordinates } from '../codecs/attendanceRecord.js'
import { boundedErrorRecord } from '../codecs/boundedErrorRecord.js'
import type { DecodeFailed, Payload } from '../codecs/decodeResult.js'
import {
  ERROR_SCHEMA,
  type ErrorRecord,
  errorRecordFromDecodeFailure,
  RESULT_SCHEMA,
  type ResultRecord,
} from '../codecs/outcomeRecords.js'
import type { SinkOutcome } from '../sinks/sinkOutcome.js'
import { payloadOf } from './decode/payload.js'

/**
 * The last step before Kafka: every input record's outcome — a decode failure or a sink outcome — becomes one
 * message for the results or errors topic, exactly as records.md §3 says: keyed by the input record's key,
 * with `source-topic`, `source-partition`, `source-offset` headers (and `error-code` on errors).
 */

/** What the pipeline ends with for one input record. */
export type PipelineOutcome = DecodeFailed | SinkOutcome

/** Where outcomes go: the results and errors topics (they may be the same). */
export interface OutcomeTopics {
  readonly results: string
  readonly errors: string
}

/** One outcome as a Kafka message, with the input it is the outcome of. */
export interface OutcomeMessage {
  readonly topic: string
  readonly key: Buffer | null
  readonly value: string
  readonly headers: Readonly<Record<string, string>>
  /** The input record this message is the outcome of (not sent; used to complete its offset). */
  readonly source: SourceCoordinates
  readonly kind: 'result' | 'error'
  /** The error code, for errors. */
  readonly code?: string
}

/**
 * The outcome message of one input record: a result record for `Recorded`, an error record otherwise.
 *
 * @param originalValue the input record's value bytes, for the error record's `payload` (a sink outcome only
 *   carries the decoded record, and the contract wants the original value untouched).
 */
export const outcomeMessage = (
  outcome: PipelineOutcome,
  topics: OutcomeTopics,
  originalValue: (source: SourceCoordinates) => Buffer | null | undefined,
): OutcomeMessage => {
  if (outcome._tag === 'Recorded') {
    return message(topics.results, outcome.record.source, resultRecordOf(outcome))
  }
  const record =
    outcome._tag === 'DecodeFailed'
      ? errorRecordFromDecodeFailure(outcome)
      : sinkErrorRecordOf(outcome, payloadOrEmpty(originalValue(outcome.record.source)))
  return message(topics.errors, record.source, record)
}

const message = (
  topic: string,
  source: SourceCoordinates,
  record: ResultRecord | ErrorRecord,
): OutcomeMessage => {
  const isError = record.schema === ERROR_SCHEMA
  return {
    topic,
    key: keyBytes(source),
    value: JSON.stringify(record),
    headers: {
      'source-topic': source.topic,
      'source-partition': String(source.partition),
      'source-offset': source.offset,
      ...(isError ? { 'error-code': record.code } : {}),
    },
    source,
    kind: isError ? 'error' : 'result',
    ...(isError ? { code: record.code } : {}),
  }
}

/** The input record's key bytes, restored from its coordinates (UTF-8 text, or base64 for binary keys). */
export const keyBytes = (source: SourceCoordinates): Buffer | null =>
  source.key === null ? null : Buffer.from(source.key, source.keyEncoding === 'base64' ? 'base64' : 'utf8')

const iso = (epochMs: number): string => new Date(epochMs).toISOString()

/** The result record of a `Recorded` outcome. */
export const resultRecordOf = (outcome: Extract<SinkOutcome, { _tag: 'Recorded' }>): ResultRecord => {
  const { record } = outcome
  const event =
    record.event.kind === 'object'
      ? { eventObjectId: record.event.objectId }
      : {
          eventId: record.event.externalEventId,
          ...(record.event.externalAccountId === undefined
            ? {}
            : { externalAccountId: record.event.externalAccountId }),
        }
  return {
    schema: RESULT_SCHEMA,
    source: record.source,
    ...event,
    subscriberState: record.subscriberState,
    contact: 'vid' in record.contact ? { vid: record.contact.vid } : { email: record.contact.email },
    interactionDateTime: record.interactionDateTime,
    batch: {
      id: outcome.batchId,
      size: outcome.batchSize,
      attempts: outcome.attempts,
      sentAt: iso(outcome.sentAt),
      completedAt: iso(outcome.completedAt),
    },
    hubspot: {
      status: outcome.hubspotStatus,
      ...(outcome.correlationId === undefined ? {} : { correlationId: outcome.correlationId }),
    },
  }
}

/**
 * Codes of `Rejected` outcomes that a fixed configuration cures: a dead-lettered (`onConfigFault: deadLetter`)
 * 401, 403 or 404 for an unknown endpoint. Their error records are `retryable: true`, so a redrive after the fix
 * writes them (records.md §3); an OBJECT_NOT_FOUND is HUBSPOT_REJECTED and stays not retryable.
 */
const CONFIG_FAULT_CODES: ReadonlySet<string> = new Set([
  'HUBSPOT_UNAUTHENTICATED',
  'HUBSPOT_MISSING_SCOPES',
  'HUBSPOT_UNKNOWN_ENDPOINT',
])

/**
 * The error record of a `Rejected` or `Failed` outcome, with the input's original value, bounded to fit one
 * Kafka message (message and detail lines of at most 1,000 characters: HubSpot's messages may quote the request).
 */
export const sinkErrorRecordOf = (
  outcome: Exclude<SinkOutcome, { _tag: 'Recorded' }>,
  payload: Payload,
): ErrorRecord => {
  const hubspot = {
    ...(outcome.httpStatus === undefined ? {} : { httpStatus: outcome.httpStatus }),
    ...(outcome.category === undefined ? {} : { category: outcome.category }),
    ...(outcome.correlationId === undefined ? {} : { correlationId: outcome.correlationId }),
  }
  return boundedErrorRecord({
    schema: ERROR_SCHEMA,
    source: outcome.record.source,
    stage: 'sink',
    code: outcome.code,
    // Failed: a later redrive may succeed (retries ran out, the daily allowance was spent); Rejected: it won't,
    // unless the configuration was at fault.
    retryable: outcome._tag === 'Failed' || CONFIG_FAULT_CODES.has(outcome.code),
    message: oneLine(outcome.message),
    details: outcome.details.map(oneLine),
    payload,
    attempts: outcome.attempts,
    ...(Object.keys(hubspot).length === 0 ? {} : { hubspot }),
  })
}

// Every run of whitespace (line breaks included) becomes one space. Linear, unlike /\s*[\r\n]+\s*/g, which
// rescanned each run of spaces not followed by a line break from every position in it (40,000 spaces: 2.1 s).
const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim()

const payloadOrEmpty = (value: Buffer | null | undefined): Payload =>
  value === null || value === undefined ? { encoding: 'utf8', data: '' } : payloadOf(value)
