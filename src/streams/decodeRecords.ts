import { isUtf8 } from 'node:buffer'
import { asyncScheduler, type OperatorFunction, type SchedulerLike } from 'rxjs'
import { map } from 'rxjs/operators'
import { reportErrors } from '../codecs/decodeReporter.js'
import type { DecodeErrorCode, DecodeFailed, DecodeResult, Payload } from '../codecs/decodeResult.js'
import {
  INPUT_EVENT_CODECS,
  INPUT_EVENT_TYPES,
  type InputEvent,
  interactionTime,
  isInputEventType,
  timestampField,
  toAttendanceRecord,
} from '../codecs/inputEvents.js'
import { toOneLine } from '../codecs/primitives.js'
import { AttendanceStreamError } from '../errors.js'
import type { SourceRecord } from '../member/sourceRecord.js'
import { payloadOf, truncatedPayloadOf } from './decode/payload.js'

export type { Decoded, DecodeErrorCode, DecodeFailed, DecodeResult, Payload } from '../codecs/decodeResult.js'
export { DECODE_ERROR_CODES, isDecoded, isDecodeFailed } from '../codecs/decodeResult.js'

/** Settings of {@link decodeRecords} and {@link decodeRecord}. */
export interface DecodeOptions {
  /** Values over this many bytes are TOO_LARGE, checked before anything is parsed. Default 65536. */
  readonly maxValueBytes?: number
  /** Earliest accepted event time, epoch ms. Default 2000-01-01T00:00:00Z. */
  readonly notBefore?: number
  /** How far past "now" an event time may be, in ms (scanner clocks drift). Default one day. */
  readonly maxFutureMs?: number
  /** The HubSpot account every decoded record is written with. Default `'default'`. */
  readonly account?: string
  /** Whose `now()` is "now" for the future check. Default `asyncScheduler` (wall clock). */
  readonly scheduler?: SchedulerLike
}

/** Default `maxValueBytes`: 64 KiB. */
export const DEFAULT_MAX_VALUE_BYTES = 65_536
/** Default `notBefore`: 2000-01-01T00:00:00Z, in epoch ms. */
export const DEFAULT_NOT_BEFORE = Date.UTC(2000, 0, 1)
/** Default `maxFutureMs`: one day. */
export const DEFAULT_MAX_FUTURE_MS = 86_400_000
/** Default `account`: `'default'`. */
export const DEFAULT_ACCOUNT = 'default'

interface ResolvedOptions {
  readonly maxValueBytes: number
  readonly notBefore: number
  readonly maxFutureMs: number
  readonly account: string
  readonly scheduler: SchedulerLike
}

const resolve = (options: DecodeOptions): ResolvedOptions => ({
  maxValueBytes: options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES,
  notBefore: options.notBefore ?? DEFAULT_NOT_BEFORE,
  maxFutureMs: options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS,
  account: options.account ?? DEFAULT_ACCOUNT,
  scheduler: options.scheduler ?? asyncScheduler,
})

const checkOptions = (options: ResolvedOptions): ResolvedOptions => {
  const bad = (name: string, value: unknown) =>
    new AttendanceStreamError('INVALID_CONFIG', `decodeRecords: ${name} must be a non-negative integer`, {
      context: { option: name, value: String(value) },
    })
  for (const name of ['maxValueBytes', 'maxFutureMs'] as const) {
    if (!Number.isSafeInteger(options[name]) || options[name] < 0) throw bad(name, options[name])
  }
  if (!Number.isSafeInteger(options.notBefore)) throw bad('notBefore', options.notBefore)
  if (options.account === '') {
    throw new AttendanceStreamError('INVALID_CONFIG', 'decodeRecords: account must not be empty')
  }
  return options
}

const EXPECTED_TYPES = INPUT_EVENT_TYPES.map((type) => JSON.stringify(type)).join(' or ')

const describeJson = (u: unknown): string => {
  if (u === null) return 'null'
  if (Array.isArray(u)) return 'an array'
  if (typeof u === 'string') return 'a string'
  return `a ${typeof u}`
}

// Date#toISOString throws beyond ±8.64e15 ms; a safe-integer epoch can exceed that.
const showTime = (ms: number): string =>
  Math.abs(ms) <= 8.64e15 ? `${ms} (${new Date(ms).toISOString()})` : String(ms)

const outOfRange = (event: InputEvent, options: ResolvedOptions): string | undefined => {
  const at = interactionTime(event)
  const field = timestampField(event)
  if (at < options.notBefore) {
    return `${field}: ${showTime(at)} is before the earliest accepted time ${showTime(options.notBefore)}`
  }
  const now = options.scheduler.now()
  if (at > now + options.maxFutureMs) {
    return `${field}: ${showTime(at)} is more than ${options.maxFutureMs} ms after now, ${showTime(now)}`
  }
  return undefined
}

const decodeWith = (record: SourceRecord, options: ResolvedOptions): DecodeResult => {
  const source = record
  const fail = (
    code: DecodeErrorCode,
    message: string,
    payload: Payload,
    details: readonly string[] = [],
  ): DecodeFailed => ({ _tag: 'DecodeFailed', source, code, message: toOneLine(message), details, payload })

  const value = record.value
  if (value === null)
    return fail('TOMBSTONE', 'tombstone: the record has no value', { encoding: 'utf8', data: '' })
  if (value.length > options.maxValueBytes) {
    return fail(
      'TOO_LARGE',
      `value of ${value.length} bytes is over the ${options.maxValueBytes}-byte limit`,
      truncatedPayloadOf(value, options.maxValueBytes),
      [`payload holds only the first ${options.maxValueBytes} of ${value.length} bytes`],
    )
  }
  if (!isUtf8(value)) {
    return fail('INVALID_UTF8', 'value is not valid UTF-8', {
      encoding: 'base64',
      data: value.toString('base64'),
    })
  }
  const text = value.toString('utf8')
  const payload = payloadOf(value)
  // RFC 8259 §8.1 lets a parser ignore a BOM; we refuse it so the producer learns it is sending one.
  if (text.charCodeAt(0) === 0xfeff) {
    return fail('INVALID_JSON', 'value is not valid JSON: it starts with a byte order mark (U+FEFF)', payload)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (e) {
    return fail(
      'INVALID_JSON',
      `value is not valid JSON: ${e instanceof Error ? e.message : String(e)}`,
      payload,
    )
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail('NOT_AN_OBJECT', `expected a JSON object, got ${describeJson(parsed)}`, payload)
  }
  const type = (parsed as { type?: unknown }).type
  if (!isInputEventType(type)) {
    const line =
      type === undefined
        ? `type: missing, expected ${EXPECTED_TYPES}`
        : `type: expected ${EXPECTED_TYPES}, got ${typeof type === 'string' ? JSON.stringify(type) : describeJson(type)}`
    return fail('UNKNOWN_TYPE', type === undefined ? 'missing event type' : 'unknown event type', payload, [
      toOneLine(line),
    ])
  }
  const validation = INPUT_EVENT_CODECS[type].validate(parsed, [
    { key: '', type: INPUT_EVENT_CODECS[type], actual: parsed },
  ])
  if (validation._tag === 'Left') {
    const details = reportErrors(validation.left).map(toOneLine)
    const more = details.length > 1 ? ` (and ${details.length - 1} more)` : ''
    return fail('INVALID_EVENT', `invalid ${type} event: ${details[0]}${more}`, payload, details)
  }
  const event = validation.right as InputEvent
  const range = outOfRange(event, options)
  if (range !== undefined) return fail('TIMESTAMP_OUT_OF_RANGE', `${type} ${range}`, payload, [range])
  return { _tag: 'Decoded', record: toAttendanceRecord(event, source, options.account) }
}

/**
 * Decodes one source record (as a member hands it over) into an AttendanceRecord, or says precisely why it cannot be one.
 * Pure apart from reading `scheduler.now()`; never throws on any input bytes.
 */
export function decodeRecord(record: SourceRecord, options: DecodeOptions = {}): DecodeResult {
  return decodeWith(record, resolve(options))
}

/**
 * Decodes every record, in order, one result per record. Bad records are values (`DecodeFailed`), never
 * stream errors; the stream errors only if its source does. Throws INVALID_CONFIG at once for bad options.
 *
 * ```
 * records: --a--b--c--|     (b is not JSON)
 * decodeRecords()
 * results: --A--B--C--|     A, C Decoded · B DecodeFailed(INVALID_JSON)
 * ```
 *
 * @example
 * consumerRecords$.pipe(decodeRecords({ maxValueBytes: 32_768, account: 'eu' }))
 */
export function decodeRecords(options: DecodeOptions = {}): OperatorFunction<SourceRecord, DecodeResult> {
  const resolved = checkOptions(resolve(options))
  return map((record) => decodeWith(record, resolved))
}
