import { coordinatesOf } from '../codecs/attendanceRecord.js'
import { boundedErrorRecord } from '../codecs/boundedErrorRecord.js'
import type { DecodeFailed, Payload } from '../codecs/decodeResult.js'
import {
  ERROR_SCHEMA,
  type ErrorRecord,
  errorRecordFromDecodeFailure,
  RESULT_SCHEMA,
  type ResultRecord,
} from '../codecs/outcomeRecords.js'
import { failure, type Outcome, result } from '../member/outcome.js'
import type { SinkOutcome } from '../sinks/sinkOutcome.js'
import { payloadOf } from './decode/payload.js'

/**
 * The last step of the attendance flow: every input record's outcome — a decode failure or a sink outcome —
 * becomes the member's {@link Outcome}: a result record for `Recorded`, an error record otherwise, exactly as
 * records.md §3 says. Pure: the record carries its coordinates and original value.
 */

/** What the attendance flow ends with for one input record, before it becomes an {@link Outcome}. */
export type PipelineOutcome = DecodeFailed | SinkOutcome

/** The member outcome of one input record: a result record for `Recorded`, an error record otherwise. */
export const attendanceOutcome = (outcome: PipelineOutcome): Outcome<ResultRecord, ErrorRecord> => {
  switch (outcome._tag) {
    case 'Recorded':
      return result(outcome.record.source, resultRecordOf(outcome))
    case 'DecodeFailed':
      return failure(outcome.source, errorRecordFromDecodeFailure(outcome))
    default:
      return failure(
        outcome.record.source,
        sinkErrorRecordOf(outcome, payloadOrEmpty(outcome.record.source.value)),
      )
  }
}

// The records of one batch share its sentAt and completedAt: the last few conversions are remembered, so a
// batch of 100 formats each time once rather than 100 times.
const recentIso = new Map<number, string>()
const iso = (epochMs: number): string => {
  let text = recentIso.get(epochMs)
  if (text === undefined) {
    text = new Date(epochMs).toISOString()
    if (recentIso.size >= 16) recentIso.clear()
    recentIso.set(epochMs, text)
  }
  return text
}

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
    source: coordinatesOf(record.source),
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
    source: coordinatesOf(outcome.record.source),
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

const payloadOrEmpty = (value: Buffer | null): Payload =>
  value === null ? { encoding: 'utf8', data: '' } : payloadOf(value)
