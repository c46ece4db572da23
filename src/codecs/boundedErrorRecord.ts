import type { ErrorRecord } from './outcomeRecords.js'

/**
 * Every error record must fit in one Kafka message whatever the input (records.md §3): an error record the
 * producer cannot write fails the member, and on restart the same input makes the same record again — a crash
 * loop. This module cuts a record down to size, in this order of sacrifice: the message and each detail line
 * (bounded lengths), the number of detail lines, then the payload (kept whole whenever the rest leaves room).
 */

/** The most bytes an error record takes as written (UTF-8 JSON): under Kafka's default `message.max.bytes`. */
export const MAX_ERROR_RECORD_BYTES = 900_000
/** Detail lines kept; the rest are counted in one more line, `… and N more`. */
export const MAX_DETAILS = 50
/**
 * Characters kept of the message and of each detail line. HubSpot messages may quote a whole request, and a
 * decode detail names a path whose keys the producer chose: a line is for people, 1,000 characters say enough.
 */
export const MAX_LINE_CHARS = 1_000
/** Characters kept of `source.key` when even an empty payload leaves no room for the whole key. */
export const MAX_KEY_CHARS_WHEN_CUT = 1_000

/** The first `max` UTF-16 units of `s`, never splitting a surrogate pair, marked with `…` when cut. */
export const cutText = (s: string, max: number): string => {
  if (s.length <= max) return s
  let end = max
  const last = s.charCodeAt(end - 1)
  if (last >= 0xd800 && last <= 0xdbff) end -= 1
  return `${s.slice(0, end)}…`
}

/** At most {@link MAX_DETAILS} lines of at most {@link MAX_LINE_CHARS} characters, then `… and N more`. */
export const boundedDetails = (details: readonly string[]): string[] => {
  const kept = details.slice(0, MAX_DETAILS).map((line) => cutText(line, MAX_LINE_CHARS))
  if (details.length > MAX_DETAILS) kept.push(`… and ${details.length - MAX_DETAILS} more`)
  return kept
}

const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8')

/** Bytes the payload's original value had: what `data` decodes to. */
const decodedBytes = (payload: ErrorRecord['payload']): number =>
  payload.encoding === 'base64' ? Buffer.from(payload.data, 'base64').length : utf8Bytes(payload.data)

/** Bytes UTF-16 unit `i` of `s` (with its pair, when it starts one) takes inside a JSON string, and units used. */
const jsonCost = (s: string, i: number): { bytes: number; units: number } => {
  const unit = s.charCodeAt(i)
  if (unit === 0x22 || unit === 0x5c) return { bytes: 2, units: 1 }
  if (unit < 0x20) {
    // \b \f \n \r \t have two-character escapes; the other controls are \u00XX.
    return { bytes: unit === 8 || unit === 9 || unit === 10 || unit === 12 || unit === 13 ? 2 : 6, units: 1 }
  }
  if (unit < 0x80) return { bytes: 1, units: 1 }
  if (unit < 0x800) return { bytes: 2, units: 1 }
  if (unit >= 0xd800 && unit <= 0xdbff) {
    const next = s.charCodeAt(i + 1)
    if (next >= 0xdc00 && next <= 0xdfff) return { bytes: 4, units: 2 }
    return { bytes: 6, units: 1 }
  }
  // A lone low surrogate is escaped as \uDXXX by well-formed JSON.stringify.
  if (unit >= 0xdc00 && unit <= 0xdfff) return { bytes: 6, units: 1 }
  return { bytes: 3, units: 1 }
}

/** The longest prefix of `data` (whole characters) whose JSON string body takes at most `budget` bytes. */
const prefixWithin = (data: string, encoding: 'utf8' | 'base64', budget: number): string => {
  if (encoding === 'base64') {
    // Base64 is ASCII; whole quads keep it decodable into a prefix of the original bytes.
    return data.slice(0, Math.max(0, Math.floor(budget / 4) * 4))
  }
  let used = 0
  let i = 0
  while (i < data.length) {
    const { bytes, units } = jsonCost(data, i)
    if (used + bytes > budget) break
    used += bytes
    i += units
  }
  return data.slice(0, i)
}

// A server that is not HubSpot (a wrong baseUrl) may send anything as a category or correlation id.
const boundedHubspot = (
  hubspot: NonNullable<ErrorRecord['hubspot']>,
): NonNullable<ErrorRecord['hubspot']> => ({
  ...hubspot,
  ...(hubspot.category === undefined ? {} : { category: cutText(hubspot.category, MAX_LINE_CHARS) }),
  ...(hubspot.correlationId === undefined
    ? {}
    : { correlationId: cutText(hubspot.correlationId, MAX_LINE_CHARS) }),
})

const sizeOf = (record: ErrorRecord): number => utf8Bytes(JSON.stringify(record))

/**
 * `record` as it may be written: lines and details bounded, the payload whole when the record fits in
 * {@link MAX_ERROR_RECORD_BYTES}, else cut to what fits with `truncated: true`; `originalBytes` always says how
 * big the input's value was. Pure and linear in the record's size.
 */
export const boundedErrorRecord = (record: ErrorRecord): ErrorRecord => {
  const originalBytes = record.payload.originalBytes ?? decodedBytes(record.payload)
  const { hubspot } = record
  const whole: ErrorRecord = {
    ...record,
    ...(hubspot === undefined ? {} : { hubspot: boundedHubspot(hubspot) }),
    message: cutText(record.message, MAX_LINE_CHARS),
    details: boundedDetails(record.details),
    payload: {
      encoding: record.payload.encoding,
      data: record.payload.data,
      truncated: record.payload.truncated ?? false,
      originalBytes,
    },
  }
  // JSON never makes a string shorter, so a payload already over the bound need not be serialized to know it.
  if (utf8Bytes(whole.payload.data) <= MAX_ERROR_RECORD_BYTES && sizeOf(whole) <= MAX_ERROR_RECORD_BYTES) {
    return whole
  }
  let rest: ErrorRecord = {
    ...whole,
    payload: { encoding: whole.payload.encoding, data: '', truncated: true, originalBytes },
  }
  let restBytes = sizeOf(rest)
  const { key } = rest.source
  if (restBytes > MAX_ERROR_RECORD_BYTES && key !== null && key.length > MAX_KEY_CHARS_WHEN_CUT) {
    // Only a Kafka key of most of a megabyte gets here; the message says what was done to it (details may be full).
    rest = {
      ...rest,
      source: { ...rest.source, key: cutText(key, MAX_KEY_CHARS_WHEN_CUT) },
      message: `${rest.message} (source.key cut to its first ${MAX_KEY_CHARS_WHEN_CUT} of ${key.length} characters)`,
    }
    restBytes = sizeOf(rest)
  }
  const data = prefixWithin(whole.payload.data, whole.payload.encoding, MAX_ERROR_RECORD_BYTES - restBytes)
  return { ...rest, payload: { ...rest.payload, data } }
}
