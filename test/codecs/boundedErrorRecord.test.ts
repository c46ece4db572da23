import { describe, expect, it } from 'vitest'
import { boundedErrorRecord, cutText, MAX_ERROR_RECORD_BYTES } from '../../src/codecs/boundedErrorRecord.js'
import type { ErrorRecord } from '../../src/codecs/outcomeRecords.js'

const record = (over: Partial<ErrorRecord> = {}): ErrorRecord => ({
  schema: 'attendance-stream.error/v1',
  source: { topic: 'scans', partition: 0, offset: '1', timestamp: '2', key: 'k' },
  stage: 'decode',
  code: 'INVALID_EVENT',
  retryable: false,
  message: 'bad',
  details: [],
  payload: { encoding: 'utf8', data: '{}' },
  attempts: 0,
  ...over,
})

describe('boundedErrorRecord', () => {
  it('keeps a record that fits whole, saying how big the value was', () => {
    expect(boundedErrorRecord(record()).payload).toEqual({
      encoding: 'utf8',
      data: '{}',
      truncated: false,
      originalBytes: 2,
    })
  })

  it('keeps 50 details and counts the rest', () => {
    const details = Array.from({ length: 120 }, (_, i) => `line ${i}`)
    const bounded = boundedErrorRecord(record({ details }))
    expect(bounded.details).toEqual([...details.slice(0, 50), '… and 70 more'])
  })

  it('cuts the payload to what fits, at a character boundary, and marks it', () => {
    const data = `${'\u0001'.repeat(100_000)}${'€'.repeat(1_000_000)}`
    const bounded = boundedErrorRecord(record({ payload: { encoding: 'utf8', data } }))
    const written = Buffer.byteLength(JSON.stringify(bounded))
    expect(written).toBeLessThanOrEqual(MAX_ERROR_RECORD_BYTES)
    // 100,000 controls at 6 bytes each leave 300,000 bytes minus the rest: whole € of 3 bytes.
    expect(written).toBeGreaterThan(MAX_ERROR_RECORD_BYTES - 3)
    expect(data.startsWith(bounded.payload.data)).toBe(true)
    expect(bounded.payload).toMatchObject({ truncated: true, originalBytes: 100_000 + 3_000_000 })
  })

  it('cuts base64 in whole quads, so it still decodes to a prefix of the value', () => {
    const bytes = Buffer.alloc(1_000_000, 0xff)
    const bounded = boundedErrorRecord(
      record({ payload: { encoding: 'base64', data: bytes.toString('base64') } }),
    )
    expect(bounded.payload.data.length % 4).toBe(0)
    expect(bounded.payload).toMatchObject({ truncated: true, originalBytes: 1_000_000 })
    expect(Buffer.byteLength(JSON.stringify(bounded))).toBeLessThanOrEqual(MAX_ERROR_RECORD_BYTES)
  })

  it('cuts a Kafka key of most of a megabyte, and says so in the message', () => {
    const key = 'K'.repeat(950_000)
    const bounded = boundedErrorRecord(record({ source: { ...record().source, key } }))
    expect(bounded.source.key).toBe(`${'K'.repeat(1_000)}…`)
    expect(bounded.message).toBe('bad (source.key cut to its first 1000 of 950000 characters)')
    expect(bounded.payload.data).toBe('{}')
  })

  it('cutText never splits a surrogate pair', () => {
    expect(cutText('ab😀c', 3)).toBe('ab…')
    expect(cutText('abc', 3)).toBe('abc')
  })
})
