import { isUtf8 } from 'node:buffer'
import { asyncScheduler, type OperatorFunction, type SchedulerLike } from 'rxjs'
import { map } from 'rxjs/operators'
import { MAX_ERROR_RECORD_BYTES } from '../codecs/boundedErrorRecord.js'
import { reportErrors } from '../codecs/decodeReporter.js'
import {
  type DecodeFailed,
  type DecodeResult,
  MAX_VALUE_BYTES_LIMIT,
  type Payload,
} from '../codecs/decodeResult.js'
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
export {
  DECODE_ERROR_CODES,
  isDecoded,
  isDecodeFailed,
  MAX_VALUE_BYTES_LIMIT,
} from '../codecs/decodeResult.js'

/** Settings of {@link decodeRecords} and {@link decodeRecord}. */
export interface DecodeOptions {
  /** Values over this many bytes are TOO_LARGE, checked before anything is parsed. Default 65536. */
  readonly maxValueBytes?: number
  /** Earliest accepted event time, epoch ms. Default 2000-01-01T00:00:00Z. */
  readonly notBefore?: number
  /** How far past "now" an event time may be, in ms (scanner clocks drift). Default one day. */
  readonly maxFutureMs?: number
  /**
   * The HubSpot account of records that neither name one nor come from a topic mapped to one; the only account
   * when `accounts` is absent. Default `'default'`. Ignored when `accounts` is given (its `default` wins).
   */
  readonly account?: string
  /**
   * The configured HubSpot accounts (records.md, "Which HubSpot account"): a record's account is its `account`
   * field, else `byTopic[topic]`, else `default`. A field naming an account not in `names` makes the record
   * UNKNOWN_ACCOUNT. Default: one account, `account`.
   */
  readonly accounts?: AccountRouting
  /** Whose `now()` is "now" for the future check. Default `asyncScheduler` (wall clock). */
  readonly scheduler?: SchedulerLike
}

/** Which HubSpot accounts exist and which topic goes to which (see {@link DecodeOptions.accounts}). */
export interface AccountRouting {
  readonly names: Iterable<string>
  readonly default: string
  /** Input topic → account, for records without an `account` field. */
  readonly byTopic?: Readonly<Record<string, string>>
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
  readonly accountNames: ReadonlySet<string>
  readonly defaultAccount: string
  // A Map, not the caller's object: a topic named `__proto__` or `constructor` must not find Object's members.
  readonly accountByTopic: ReadonlyMap<string, string>
  readonly scheduler: SchedulerLike
}

const resolve = (options: DecodeOptions): ResolvedOptions => {
  const defaultAccount = options.accounts?.default ?? options.account ?? DEFAULT_ACCOUNT
  return {
    maxValueBytes: options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES,
    notBefore: options.notBefore ?? DEFAULT_NOT_BEFORE,
    maxFutureMs: options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS,
    accountNames: new Set(options.accounts?.names ?? [defaultAccount]),
    defaultAccount,
    accountByTopic: new Map(Object.entries(options.accounts?.byTopic ?? {})),
    scheduler: options.scheduler ?? asyncScheduler,
  }
}

const invalid = (message: string, context: Readonly<Record<string, unknown>> = {}) =>
  new AttendanceStreamError('INVALID_CONFIG', `decodeRecords: ${message}`, { context })

const checkOptions = (options: ResolvedOptions): ResolvedOptions => {
  const bad = (name: string, value: unknown) =>
    invalid(`${name} must be a non-negative integer`, { option: name, value: String(value) })
  for (const name of ['maxValueBytes', 'maxFutureMs'] as const) {
    if (!Number.isSafeInteger(options[name]) || options[name] < 0) throw bad(name, options[name])
  }
  if (options.maxValueBytes > MAX_VALUE_BYTES_LIMIT) {
    throw invalid(`maxValueBytes must be at most ${MAX_VALUE_BYTES_LIMIT}`, {
      option: 'maxValueBytes',
      value: String(options.maxValueBytes),
    })
  }
  if (!Number.isSafeInteger(options.notBefore)) throw bad('notBefore', options.notBefore)
  if (options.defaultAccount === '') throw invalid('account must not be empty')
  for (const name of options.accountNames) {
    if (typeof name !== 'string' || name === '') throw invalid('account names must be non-empty strings')
  }
  if (!options.accountNames.has(options.defaultAccount)) {
    throw invalid(`the default account "${options.defaultAccount}" is not one of the accounts`)
  }
  for (const [topic, account] of options.accountByTopic) {
    // Every record of that topic would be an error record: a configuration mistake, caught at once.
    if (!options.accountNames.has(account)) {
      throw invalid(`topic "${topic}" is mapped to "${account}", which is not one of the accounts`, { topic })
    }
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

const decodeUnguarded = (record: SourceRecord, options: ResolvedOptions): DecodeResult => {
  const source = record
  const fail = (
    code: DecodeFailed['code'],
    message: string,
    payload: Payload,
    details: readonly string[] = [],
  ): DecodeFailed => ({ _tag: 'DecodeFailed', source, code, message: toOneLine(message), details, payload })

  const value = record.value
  if (value === null)
    return fail('TOMBSTONE', 'tombstone: the record has no value', { encoding: 'utf8', data: '' })
  if (value.length > options.maxValueBytes) {
    // The error record keeps the value whole when it fits (boundedErrorRecord decides); a value that can never
    // fit is cut here already, so a 10 MB value is not copied into a 13 MB string first.
    const payload =
      value.length <= MAX_ERROR_RECORD_BYTES
        ? payloadOf(value)
        : {
            ...truncatedPayloadOf(value, MAX_ERROR_RECORD_BYTES),
            truncated: true,
            originalBytes: value.length,
          }
    return fail(
      'TOO_LARGE',
      `value of ${value.length} bytes is over the ${options.maxValueBytes}-byte limit`,
      payload,
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
  const account = event.account ?? options.accountByTopic.get(source.topic) ?? options.defaultAccount
  if (!options.accountNames.has(account)) {
    const line = `account: expected one of the configured accounts (${shownAccounts(options)}), got ${JSON.stringify(account)}`
    return fail(
      'UNKNOWN_ACCOUNT',
      `${type} names account ${JSON.stringify(account)}, which is not configured`,
      payload,
      [line],
    )
  }
  return { _tag: 'Decoded', record: toAttendanceRecord(event, source, account) }
}

const MAX_SHOWN_ACCOUNTS = 10

const shownAccounts = (options: ResolvedOptions): string => {
  const names = [...options.accountNames]
  const shown = names
    .slice(0, MAX_SHOWN_ACCOUNTS)
    .map((n) => JSON.stringify(n))
    .join(', ')
  return names.length > MAX_SHOWN_ACCOUNTS ? `${shown} and ${names.length - MAX_SHOWN_ACCOUNTS} more` : shown
}

const messageOf = (e: unknown): string => {
  try {
    return e instanceof Error ? `${e.name}: ${e.message}` : String(e)
  } catch {
    return 'an exception that cannot be shown'
  }
}

const internalPayload = (record: SourceRecord): Payload => {
  try {
    return record.value === null ? { encoding: 'utf8', data: '' } : payloadOf(record.value)
  } catch {
    return { encoding: 'utf8', data: '' }
  }
}

/**
 * Decoding is written not to throw on any bytes; should it throw anyway (a bug, an injected clock that fails),
 * the record becomes an INTERNAL error record instead of an error of the stream, which would restart the member
 * and replay the same record forever.
 */
const decodeWith = (record: SourceRecord, options: ResolvedOptions): DecodeResult => {
  try {
    return decodeUnguarded(record, options)
  } catch (e) {
    return {
      _tag: 'DecodeFailed',
      source: record,
      code: 'INTERNAL',
      message: toOneLine(`decoding threw: ${messageOf(e)}`),
      details: [],
      payload: internalPayload(record),
    }
  }
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
 * consumerRecords$.pipe(
 *   decodeRecords({
 *     maxValueBytes: 32_768,
 *     accounts: { names: ['eu', 'us'], default: 'eu', byTopic: { 'us-scans': 'us' } },
 *   }),
 * )
 */
export function decodeRecords(options: DecodeOptions = {}): OperatorFunction<SourceRecord, DecodeResult> {
  const resolved = checkOptions(resolve(options))
  return map((record) => decodeWith(record, resolved))
}
