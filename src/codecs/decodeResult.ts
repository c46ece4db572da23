import { DECODE_ERROR_CODES } from '../errors.js'
import type { SourceRecord } from '../member/sourceRecord.js'
import type { AttendanceRecord } from './attendanceRecord.js'

/**
 * What the decode stage makes of one Kafka record: an attendance record, or a failure that keeps
 * everything the error record needs. Plain types, not codecs: they never leave the process as they are
 * (a failure becomes an ErrorRecord, see outcomeRecords.ts). The codes live in errors.ts, with all the others.
 */

export { DECODE_ERROR_CODES }

/** Why a record could not be decoded: one of {@link DECODE_ERROR_CODES}. */
export type DecodeErrorCode = (typeof DECODE_ERROR_CODES)[number]

/** The original value for an error record: UTF-8 text when it is valid UTF-8, base64 otherwise. */
export interface Payload {
  readonly encoding: 'utf8' | 'base64'
  readonly data: string
  /** True when `data` holds only a prefix of the value (the error record could not carry it whole). */
  readonly truncated?: boolean
  /** The value's size in bytes; computed from `data` when absent. */
  readonly originalBytes?: number
}

/**
 * The largest `maxValueBytes` a pipeline may set: 1 MiB. Attendance events are a few hundred bytes; a larger
 * value needs a broker configured above Kafka's default `message.max.bytes` (about 1 MB) anyway; and the pipeline
 * keeps each in-flight input's value until its outcome is written (for the error record's payload), so the cap
 * also bounds that memory: `maxInFlightRecords × maxValueBytes`.
 */
export const MAX_VALUE_BYTES_LIMIT = 1_048_576

/** A record that decoded into an {@link AttendanceRecord}. */
export interface Decoded {
  readonly _tag: 'Decoded'
  readonly record: AttendanceRecord
}

/** A record that could not be decoded, with everything its error record needs. */
export interface DecodeFailed {
  readonly _tag: 'DecodeFailed'
  /** The input record, as the member handed it over. */
  readonly source: SourceRecord
  /** A decode code, or INTERNAL when decoding threw (a bug: the record is not to blame, and a redrive may work). */
  readonly code: DecodeErrorCode | 'INTERNAL'
  /** One line, for people: what is wrong, with the first problem. */
  readonly message: string
  /** Every problem, one path-qualified line each (empty when there is nothing more than the message). */
  readonly details: readonly string[]
  readonly payload: Payload
}

/** What `decodeRecords` makes of one Kafka record. */
export type DecodeResult = Decoded | DecodeFailed

/** Narrows a {@link DecodeResult} to {@link Decoded}. */
export const isDecoded = (r: DecodeResult): r is Decoded => r._tag === 'Decoded'
/** Narrows a {@link DecodeResult} to {@link DecodeFailed}. */
export const isDecodeFailed = (r: DecodeResult): r is DecodeFailed => r._tag === 'DecodeFailed'
