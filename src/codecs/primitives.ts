import * as t from 'io-ts'
import { expectation } from './decodeReporter.js'

/**
 * The small codecs the input and outcome formats are built from. Each carries a human-readable name
 * ("a positive integer") because the decode reporter prints it as the expectation, and each failure that
 * has a more precise explanation says so in a hint.
 */

// A lone surrogate cannot be encoded as UTF-8: the outcome records and HubSpot would get U+FFFD instead.
const LONE_SURROGATE = /\p{Cs}/u

const codePointLength = (s: string): number => {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i)
    // A high surrogate followed by a low one is one code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) i++
    }
    n++
  }
  return n
}

/** A well-formed string of `min`…`max` characters (Unicode code points, not UTF-16 units). */
export const boundedString = (min: number, max: number, name = `a string of ${min} to ${max} characters`) =>
  new t.Type<string, string, unknown>(
    name,
    (u): u is string =>
      typeof u === 'string' &&
      !LONE_SURROGATE.test(u) &&
      codePointLength(u) >= min &&
      codePointLength(u) <= max,
    (u, c) => {
      if (typeof u !== 'string') return t.failure(u, c)
      // Code points ≤ UTF-16 units ≤ 2 × code points, so the exact count is only needed near the bounds.
      const length = u.length > max || u.length < 2 * min ? codePointLength(u) : u.length
      if (length < min) return t.failure(u, c, expectation(name, u, min === 1 ? 'empty' : 'too short'))
      if (length > max) return t.failure(u, c, expectation(name, u, 'too long'))
      if (LONE_SURROGATE.test(u))
        return t.failure(u, c, expectation(name, u, 'contains an unpaired surrogate'))
      return t.success(u)
    },
    t.identity,
  )

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const C0_OR_DEL = /[\u0000-\u001f\u007f]/

const controlCharacterProblem = (s: string): string | undefined => {
  const at = s.search(C0_OR_DEL)
  if (at < 0) return undefined
  const code = s.charCodeAt(at).toString(16).toUpperCase().padStart(4, '0')
  return `contains the control character U+${code} at index ${at}`
}

/**
 * An identifier the pipeline passes on (logs, outcome records, HubSpot URL paths and query strings): a
 * {@link boundedString} without control characters (U+0000–U+001F, U+007F), which would split log lines, be
 * stripped or refused by HTTP stacks, or make two ids that look alike differ. With `pathSegment`, `.` and `..`
 * are refused too: URL parsers collapse them (and `%2e` alike), so the request would reach another endpoint.
 */
export const identifier = (min: number, max: number, pathSegment = false) => {
  const text = boundedString(min, max)
  const name = text.name
  const problem = (s: string): string | undefined =>
    controlCharacterProblem(s) ??
    (pathSegment && (s === '.' || s === '..')
      ? 'not allowed: a URL path would collapse it into another endpoint'
      : undefined)
  return new t.Type<string, string, unknown>(
    name,
    (u): u is string => text.is(u) && problem(u) === undefined,
    (u, c) => {
      const checked = text.validate(u, c)
      if (checked._tag === 'Left') return checked
      const why = problem(checked.right)
      return why === undefined ? checked : t.failure(u, c, expectation(name, u, why))
    },
    t.identity,
  )
}

const ACCOUNT_NAME = /^[A-Za-z0-9_-]{1,64}$/

/**
 * The name of a HubSpot account configured in the pipeline, as an input's `account` field carries it: 1–64
 * characters of `A-Z a-z 0-9 _ -` (records.md, "Which HubSpot account"). Whether it is configured is the decode
 * stage's business (UNKNOWN_ACCOUNT), not the codec's.
 */
export const AccountName = new t.Type<string, string, unknown>(
  'an account name of 1 to 64 characters A-Z a-z 0-9 _ -',
  (u): u is string => typeof u === 'string' && ACCOUNT_NAME.test(u),
  (u, c) => (typeof u === 'string' && ACCOUNT_NAME.test(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
)

/** A HubSpot contact id: a JSON integer ≥ 1 that a double holds exactly. */
export const Vid = new t.Type<number, number, unknown>(
  'a positive integer',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u > 0,
  (u, c) => {
    if (typeof u !== 'number' || !Number.isInteger(u) || u <= 0) return t.failure(u, c)
    if (!Number.isSafeInteger(u)) return t.failure(u, c, expectation('a positive integer', u, 'above 2^53-1'))
    return t.success(u)
  },
  t.identity,
)

export const MAX_EMAIL_LENGTH = 254
const MAX_LOCAL_PART_LENGTH = 64

// WHATWG's "valid e-mail address" (what browsers accept in <input type=email>), plus a dot in the domain:
// a bare host name is never a contact's address. Length is checked first, so the regex only sees ≤ 254 chars.
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/

const emailProblem = (s: string): string | undefined => {
  if (s.length > MAX_EMAIL_LENGTH) return `longer than ${MAX_EMAIL_LENGTH} characters`
  if (/\s/.test(s)) return 'contains whitespace'
  const at = s.lastIndexOf('@')
  if (at < 0) return 'no @'
  if (at > MAX_LOCAL_PART_LENGTH) return `part before @ longer than ${MAX_LOCAL_PART_LENGTH} characters`
  if (!EMAIL.test(s)) return 'not of the form local@domain.tld'
  return undefined
}

/** An email address as HubSpot accepts it: ≤ 254 characters, no whitespace, `local@domain.tld`. */
export const EmailAddress = new t.Type<string, string, unknown>(
  'an email address',
  (u): u is string => typeof u === 'string' && emailProblem(u) === undefined,
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c)
    const problem = emailProblem(u)
    if (problem === undefined) return t.success(u)
    return t.failure(u, c, expectation('an email address', u, problem))
  },
  t.identity,
)

/** HubSpot's objectId of a marketing event: decimal digits, as a string because it may exceed 2^53. */
export const DigitString = new t.Type<string, string, unknown>(
  'a string of 1 to 20 digits',
  (u): u is string => typeof u === 'string' && /^[0-9]{1,20}$/.test(u),
  (u, c) => (typeof u === 'string' && /^[0-9]{1,20}$/.test(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
)

export const NonNegativeInteger = new t.Type<number, number, unknown>(
  'a non-negative integer',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0,
  (u, c) => (typeof u === 'number' && Number.isSafeInteger(u) && u >= 0 ? t.success(u) : t.failure(u, c)),
  t.identity,
)

/** Text that fits on one line of a log or a console: no line breaks of any kind. */
export const OneLineString = new t.Type<string, string, unknown>(
  'a one-line string',
  (u): u is string => typeof u === 'string' && !/[\r\n\u2028\u2029]/.test(u),
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c)
    if (/[\r\n\u2028\u2029]/.test(u))
      return t.failure(u, c, expectation('a one-line string', u, 'has a line break'))
    return t.success(u)
  },
  t.identity,
)

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_OR_LINE_BREAK = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g

/**
 * Escapes line breaks and other control characters (as `\u000a`) so that engine messages, which may quote
 * the input, fit a one-line field and show what was there.
 */
export const toOneLine = (s: string): string =>
  s.replace(CONTROL_OR_LINE_BREAK, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)

// RFC 3339's profile of ISO-8601: full date, 'T', full time with seconds, optional fraction, offset.
const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))?$/
const ISO_DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/

const daysInMonth = (year: number, month: number): number => {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return [4, 6, 9, 11].includes(month) ? 30 : 31
}

/** Epoch ms of an RFC 3339 timestamp, or why it is not one. Sub-millisecond digits are truncated. */
export const parseIsoTimestamp = (s: string): { readonly ms: number } | { readonly problem: string } => {
  const m = ISO_TIMESTAMP.exec(s)
  if (m === null) return { problem: ISO_DATE_ONLY.test(s) ? 'a date without a time' : 'not ISO-8601' }
  const [, ys, mos, ds, hs, mis, ss, frac, zulu, sign, ohs, oms] = m
  if (zulu === undefined && sign === undefined) return { problem: 'no UTC offset: add Z or ±hh:mm' }
  const year = Number(ys)
  const month = Number(mos)
  const day = Number(ds)
  const hour = Number(hs)
  const minute = Number(mis)
  const second = Number(ss)
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return { problem: 'no such date' }
  if (hour > 23 || minute > 59 || second > 59) return { problem: 'no such time of day' }
  const offsetHours = Number(ohs ?? 0)
  const offsetMinutes = Number(oms ?? 0)
  if (offsetHours > 23 || offsetMinutes > 59) return { problem: 'no such UTC offset' }
  const millis = frac === undefined ? 0 : Number(frac.padEnd(3, '0').slice(0, 3))
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second, millis)
  const offsetMs = (offsetHours * 60 + offsetMinutes) * 60_000
  return { ms: date.getTime() - (sign === '-' ? -offsetMs : offsetMs) }
}

const TIMESTAMP_NAME = 'an ISO-8601 timestamp with offset or integer epoch milliseconds'

/**
 * A point in time as producers send it: an RFC 3339 string with an offset, or integer epoch milliseconds.
 * Decodes to epoch ms and encodes back to epoch ms. Whether the time is plausible is the decode stage's
 * business (TIMESTAMP_OUT_OF_RANGE), not the codec's.
 */
export const Timestamp = new t.Type<number, string | number, unknown>(
  TIMESTAMP_NAME,
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u),
  (u, c) => {
    if (typeof u === 'number') {
      if (Number.isSafeInteger(u)) return t.success(u)
      return t.failure(
        u,
        c,
        expectation(TIMESTAMP_NAME, u, Number.isInteger(u) ? 'above 2^53-1' : 'not an integer'),
      )
    }
    if (typeof u !== 'string') return t.failure(u, c)
    const parsed = parseIsoTimestamp(u)
    return 'ms' in parsed
      ? t.success(parsed.ms)
      : t.failure(u, c, expectation(TIMESTAMP_NAME, u, parsed.problem))
  },
  t.identity,
)
