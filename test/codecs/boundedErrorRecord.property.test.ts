import fc from 'fast-check'
import { isRight } from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect, it } from 'vitest'
import type { AttendanceRecord } from '../../src/codecs/attendanceRecord.js'
import { MAX_DETAILS, MAX_ERROR_RECORD_BYTES } from '../../src/codecs/boundedErrorRecord.js'
import { ErrorRecord, errorRecordFromDecodeFailure } from '../../src/codecs/outcomeRecords.js'
import { outcomeMessage as memberMessage } from '../../src/member/outcomeMessage.js'
import type { SinkOutcome } from '../../src/sinks/sinkOutcome.js'
import { decodeRecord, MAX_VALUE_BYTES_LIMIT } from '../../src/streams/decodeRecords.js'
import { attendanceOutcome, type PipelineOutcome } from '../../src/streams/outcomeMessages.js'
import { fixedClock, kafkaRecord } from '../fixtures/decode/helpers.js'

// records.md §3: every error record fits in 900,000 bytes whatever the input, and decodes with the outcome codec.
// Values up to 10 MB go through decode (with the largest maxValueBytes a pipeline may set, so that values of up to
// 1 MiB are parsed and reported on, not just refused as TOO_LARGE) and through the sink's error-record path.

const MB = 1024 * 1024
const options = { scheduler: fixedClock(), maxValueBytes: MAX_VALUE_BYTES_LIMIT }
const topics = { results: 'results', errors: 'errors' }
/** The Kafka message the member writes for an attendance outcome. */
const outcomeMessage = (outcome: PipelineOutcome) => {
  const message = memberMessage(attendanceOutcome(outcome), topics)
  if (message === undefined) throw new Error('an attendance outcome is never Skipped')
  return message
}

let largest = 0
afterAll(() => {
  // A figure for the report: how close the property test came to the bound.
  console.log(`largest error record written: ${largest} bytes (bound ${MAX_ERROR_RECORD_BYTES})`)
})

const scanWith = (fields: Record<string, unknown>): string =>
  JSON.stringify({
    type: 'badge.scanned',
    scanId: 'scn-1',
    eventId: 'expo-2026',
    contact: { vid: 1 },
    scannedAt: '2025-11-29T09:14:03.120Z',
    ...fields,
  })

/** Builders of hostile values of about `bytes` bytes, each a different way to blow up an error record. */
const HOSTILE: Readonly<Record<string, (bytes: number, seed: number) => Buffer>> = {
  deepNesting: (bytes) => {
    // Built as text: JSON.stringify of the nested value would itself overflow the stack.
    const depth = Math.max(1, Math.floor(bytes / 2))
    const scan = scanWith({ contact: { vid: 0 } })
    return Buffer.from(scan.replace('{"vid":0}', `{"vid":${'['.repeat(depth)}${']'.repeat(depth)}}`))
  },
  badKeys: (bytes, seed) => {
    // Property names that are too long and values that are not strings: one detail line per key, each naming
    // the key in its path.
    const keyLength = 40 + (seed % 400)
    const properties: Record<string, unknown> = {}
    for (let i = 0, total = 0; total < bytes; i++) {
      const key = `${i}-${'k'.repeat(keyLength)}`
      properties[key] = i
      total += key.length + 2 * String(i).length + 4
    }
    return Buffer.from(scanWith({ contact: { email: 'ada@example.com', properties } }))
  },
  longOverlongKeys: (bytes) => {
    // Keys over 256 characters: each detail line quotes a key of several KiB.
    const properties: Record<string, unknown> = {}
    const keyLength = 5_000
    for (let i = 0; i < Math.max(1, Math.floor(bytes / keyLength)); i++)
      properties[`${i}${'"'.repeat(keyLength)}`] = 1
    return Buffer.from(scanWith({ contact: { email: 'ada@example.com', properties } }))
  },
  escapedCharacters: (bytes) => {
    // Raw control characters are not JSON: INVALID_JSON keeps the text, and each of these takes 6 bytes in JSON.
    return Buffer.from(`{"scanId":"${'\u0001"\\\u001f'.repeat(Math.max(1, Math.floor(bytes / 4)))}"}`)
  },
  escapedInString: (bytes) =>
    // Valid JSON whose only string is all quotes and backslashes: 2 bytes each once escaped again.
    Buffer.from(scanWith({ scanId: '"\\'.repeat(Math.max(1, Math.floor(bytes / 4))) })),
  invalidUtf8: (bytes, seed) => {
    const value = Buffer.alloc(Math.max(1, bytes))
    for (let i = 0; i < value.length; i++) value[i] = (i * 131 + seed) & 0xff
    value[0] = 0xff
    return value
  },
  multibyte: (bytes) => Buffer.from(`"${'€😀'.repeat(Math.max(1, Math.floor(bytes / 7)))}"`),
}

const hostileValue = (sizes: fc.Arbitrary<number>) =>
  fc.record({
    kind: fc.constantFrom(...Object.keys(HOSTILE)),
    bytes: sizes,
    seed: fc.nat(1_000),
    bigKey: fc.boolean(),
  })

const sinkOutcomeFor = (record: AttendanceRecord, size: number): SinkOutcome => ({
  _tag: 'Failed',
  record,
  batchId: 'b-1',
  attempts: 6,
  code: 'HUBSPOT_RETRIES_EXHAUSTED',
  message: `HubSpot said ${'no '.repeat(Math.min(size, 300_000))}`,
  details: Array.from(
    { length: 1 + (size % 3_000) },
    (_, i) => `input ${i}: ${'\u0000'.repeat(size % 5_000)}`,
  ),
  httpStatus: 503,
  category: 'x'.repeat(size % 10_000),
})

const attendance = (source: AttendanceRecord['source']): AttendanceRecord => ({
  account: 'default',
  event: { kind: 'external', externalEventId: 'expo-2026' },
  subscriberState: 'attend',
  contact: { vid: 1 },
  interactionDateTime: 0,
  properties: {},
  contactProperties: {},
  origin: { type: 'badge.scanned', id: 'scn-1' },
  source,
})

/** Checks one written error record against the contract, given the value it is about. */
const checkWritten = (written: string, value: Buffer | null): ErrorRecord => {
  const bytes = Buffer.byteLength(written, 'utf8')
  largest = Math.max(largest, bytes)
  expect(bytes).toBeLessThanOrEqual(MAX_ERROR_RECORD_BYTES)
  const parsed: unknown = JSON.parse(written)
  const decoded = ErrorRecord.decode(parsed)
  expect(isRight(decoded)).toBe(true)
  const record = parsed as ErrorRecord
  expect(record.details.length).toBeLessThanOrEqual(MAX_DETAILS + 1)
  const original = value ?? Buffer.alloc(0)
  const kept = Buffer.from(record.payload.data, record.payload.encoding === 'base64' ? 'base64' : 'utf8')
  expect(record.payload.originalBytes).toBe(original.length)
  if (record.payload.truncated === true) expect(original.subarray(0, kept.length).equals(kept)).toBe(true)
  else expect(kept.equals(original)).toBe(true)
  return record
}

const runCase = (c: { kind: string; bytes: number; seed: number; bigKey: boolean }): void => {
  const value = HOSTILE[c.kind]!(c.bytes, c.seed)
  const key = Buffer.from(c.bigKey ? 'K'.repeat(Math.min(c.bytes, 950_000)) : 'scn-1')
  const result = decodeRecord(kafkaRecord(value, { key }), options)
  if (result._tag === 'DecodeFailed') {
    checkWritten(JSON.stringify(errorRecordFromDecodeFailure(result)), value)
    checkWritten(outcomeMessage(result).value, value)
  }
  const source = {
    topic: 'scans',
    partition: 3,
    offset: '1045',
    timestamp: '1',
    key: key.toString('utf8'),
    value,
  }
  const sink = outcomeMessage(sinkOutcomeFor(attendance(source), c.bytes))
  checkWritten(sink.value, value)
}

describe('every error record fits in one Kafka message', () => {
  it('for hostile values of up to 10 MB (a few seeds: each run builds megabytes)', () => {
    fc.assert(fc.property(hostileValue(fc.integer({ min: MB, max: 10 * MB })), runCase), {
      numRuns: 6,
      seed: 20261202,
    })
  }, 180_000)

  it('for hostile values around the sizes where cutting starts (100 KB to 1.2 MB)', () => {
    fc.assert(fc.property(hostileValue(fc.integer({ min: 100_000, max: 1_200_000 })), runCase), {
      numRuns: 12,
    })
  }, 120_000)

  it('for small hostile values, many of them', () => {
    fc.assert(fc.property(hostileValue(fc.integer({ min: 1, max: 20_000 })), runCase), { numRuns: 100 })
  }, 60_000)

  it('keeps a 70 KiB value of bad keys whole', () => {
    const value = HOSTILE['badKeys']!(75 * 1024, 7)
    expect(value.length).toBeGreaterThan(70 * 1024)
    const result = decodeRecord(kafkaRecord(value), options)
    if (result._tag !== 'DecodeFailed') throw new Error('expected a failure')
    const record = checkWritten(JSON.stringify(errorRecordFromDecodeFailure(result)), value)
    expect(record.payload).toMatchObject({ truncated: false, originalBytes: value.length })
    expect(record.details).toHaveLength(MAX_DETAILS + 1)
    expect(record.details[MAX_DETAILS]).toMatch(/^… and \d+ more$/)
  })

  it('cuts a 1 MiB value of bad keys, and says so', () => {
    const value = HOSTILE['badKeys']!(MB - 50_000, 3)
    expect(value.length).toBeLessThanOrEqual(MB)
    const result = decodeRecord(kafkaRecord(value), options)
    if (result._tag !== 'DecodeFailed') throw new Error('expected a failure')
    expect(result.code).toBe('INVALID_EVENT')
    const record = checkWritten(JSON.stringify(errorRecordFromDecodeFailure(result)), value)
    expect(record.payload.truncated).toBe(true)
    expect(record.payload.originalBytes).toBe(value.length)
  })
})
