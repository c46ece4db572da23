import * as t from 'io-ts'
import { coordinatesOf, SourceCoordinates, SubscriberState } from './attendanceRecord.js'
import { boundedErrorRecord } from './boundedErrorRecord.js'
import type { DecodeFailed } from './decodeResult.js'
import { NonNegativeInteger, OneLineString, Vid } from './primitives.js'

/**
 * The records the pipeline writes back to Kafka, one per input record (records.md §3). Consumers of the
 * results and errors topics decode with these codecs; the pipeline encodes with them. Unknown fields are
 * kept on decode, not rejected: the contract only ever grows by optional fields.
 */

export const RESULT_SCHEMA = 'attendance-stream.result/v1'
/** The `schema` of every error record; a breaking change bumps it. */
export const ERROR_SCHEMA = 'attendance-stream.error/v1'

// Optional fields are `t.partial` intersections here, unlike the input codecs: these records come from
// this pipeline, and every member passes values through unchanged, so io-ts never merges into a new object.

const EventOfResult = t.union([
  t.intersection([t.type({ eventId: t.string }), t.partial({ externalAccountId: t.string })]),
  t.type({ eventObjectId: t.string }),
])

const ContactOfResult = t.union([t.type({ vid: Vid }), t.type({ email: t.string })])

/** The `batch` of a result record: which request carried the input, how many tries it took, when. */
export const BatchInfo = t.type({
  id: t.string,
  size: NonNegativeInteger,
  attempts: NonNegativeInteger,
  /** ISO-8601 times the request was sent and its response (or final failure) arrived. */
  sentAt: t.string,
  completedAt: t.string,
})
/** A result record's `batch`. */
export type BatchInfo = t.TypeOf<typeof BatchInfo>

/** The result record written for an input HubSpot accepted (docs/records.md §2). */
export const ResultRecord = t.intersection([
  t.type({
    schema: t.literal(RESULT_SCHEMA),
    source: SourceCoordinates,
    subscriberState: SubscriberState,
    contact: ContactOfResult,
    interactionDateTime: t.number,
    batch: BatchInfo,
    hubspot: t.intersection([t.type({ status: t.string }), t.partial({ correlationId: t.string })]),
  }),
  EventOfResult,
])
/** A result record, as written to the results topic. */
export type ResultRecord = t.TypeOf<typeof ResultRecord>

/** Which stage gave up on the record: `decode` or `sink`. */
export const ErrorStage = t.keyof({ decode: null, sink: null })
/** `'decode' | 'sink'`. */
export type ErrorStage = t.TypeOf<typeof ErrorStage>

/**
 * The input's original value in an error record: UTF-8 text, or base64 when it is not valid UTF-8. Whole
 * whenever the record fits in 900,000 bytes; otherwise a prefix, with `truncated: true`. `originalBytes` is the
 * value's size. Both are optional to the codec: records written before 2026-12-02 lack them.
 */
export const PayloadOfError = t.intersection([
  t.type({ encoding: t.keyof({ utf8: null, base64: null }), data: t.string }),
  t.partial({ truncated: t.boolean, originalBytes: NonNegativeInteger }),
])

/** What HubSpot said about a sink error, when it said anything: status, category, correlation id. */
export const HubspotErrorInfo = t.partial({
  httpStatus: t.number,
  category: t.string,
  correlationId: t.string,
})
/** An error record's `hubspot`. */
export type HubspotErrorInfo = t.TypeOf<typeof HubspotErrorInfo>

/** The error record written for an input that could not be decoded or recorded (docs/records.md §2). */
export const ErrorRecord = t.intersection([
  t.type({
    schema: t.literal(ERROR_SCHEMA),
    source: SourceCoordinates,
    stage: ErrorStage,
    /** A decode code of DECODE_ERROR_CODES or a sink code (HUBSPOT_REJECTED, …); open-ended on purpose. */
    code: t.string,
    /** True when a later redrive may succeed (retries exhausted, daily limit, a dead-lettered config fault). */
    retryable: t.boolean,
    message: OneLineString,
    details: t.array(t.string),
    payload: PayloadOfError,
    /** HubSpot requests made for the record; 0 when it never got that far. */
    attempts: NonNegativeInteger,
  }),
  t.partial({ hubspot: HubspotErrorInfo }),
])
/** An error record, as written to the errors topic. */
export type ErrorRecord = t.TypeOf<typeof ErrorRecord>

/**
 * The error record of a record the decode stage refused, bounded to fit one Kafka message. No HubSpot attempt
 * was made. Not retryable, except INTERNAL: decoding threw, which is our fault, not the record's, and a fixed
 * release may decode the same bytes (UNKNOWN_ACCOUNT is the record's: records.md lists no decode code as retryable).
 */
export const errorRecordFromDecodeFailure = (failure: DecodeFailed): ErrorRecord =>
  boundedErrorRecord({
    schema: ERROR_SCHEMA,
    source: coordinatesOf(failure.source),
    stage: 'decode',
    code: failure.code,
    retryable: failure.code === 'INTERNAL',
    message: failure.message,
    details: [...failure.details],
    payload: failure.payload,
    attempts: 0,
  })
