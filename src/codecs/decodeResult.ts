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
}

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
  readonly code: DecodeErrorCode
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
