import { readFileSync } from 'node:fs'
import { from, lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { ErrorRecord, errorRecordFromDecodeFailure } from '../../src/codecs/outcomeRecords.js'
import {
  DECODE_ERROR_CODES,
  type DecodeResult,
  decodeRecord,
  decodeRecords,
} from '../../src/streams/decodeRecords.js'
import { type CorpusCase, corpusValue, fixedClock, kafkaRecord } from '../fixtures/decode/helpers.js'

const corpus = JSON.parse(
  readFileSync(new URL('../fixtures/decode/corpus.json', import.meta.url), 'utf8'),
) as readonly CorpusCase[]

const options = { scheduler: fixedClock() }

const failure = (result: DecodeResult) => {
  if (result._tag !== 'DecodeFailed')
    throw new Error(`expected a DecodeFailed, got ${JSON.stringify(result)}`)
  return result
}

describe('decode corpus', () => {
  it('holds at least 60 malformed inputs, covering every decode error code', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(60)
    expect(new Set(corpus.map((c) => c.code))).toEqual(new Set(DECODE_ERROR_CODES))
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length)
  })

  it.each(corpus.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const value = corpusValue(c)
    const started = performance.now()
    const result = failure(decodeRecord(kafkaRecord(value), options))
    // Generous: a regex or parser gone quadratic on 10 MB takes minutes, not milliseconds.
    expect(performance.now() - started).toBeLessThan(2_000)

    expect(result.code).toBe(c.code)
    if (c.message !== undefined) expect(result.message).toBe(c.message)
    if (c.detail !== undefined) expect(result.details).toContain(c.detail)
    expect(result.message).not.toMatch(/[\r\n\u2028\u2029]/)
    expect(result.message.length).toBeLessThan(1_000)
    for (const line of result.details) expect(line).not.toMatch(/[\r\n\u2028\u2029]/)

    // The original value survives untouched (only a value no error record can carry keeps just a prefix).
    const original = value ?? Buffer.alloc(0)
    const kept = Buffer.from(result.payload.data, result.payload.encoding === 'utf8' ? 'utf8' : 'base64')
    if (original.length > 900_000) {
      expect(result.payload).toMatchObject({ truncated: true, originalBytes: original.length })
      expect(kept.length).toBeLessThanOrEqual(900_000)
      expect(original.subarray(0, kept.length).equals(kept)).toBe(true)
    } else {
      expect(kept.equals(original)).toBe(true)
    }

    expect(ErrorRecord.is(errorRecordFromDecodeFailure(result))).toBe(true)
  })

  it('passes through the operator as one failure per record, in order', async () => {
    const records = corpus.map((c, i) => kafkaRecord(corpusValue(c), { offset: String(i) }))
    const results = await lastValueFrom(from(records).pipe(decodeRecords(options), toArray()))
    expect(results.map((r) => (r._tag === 'DecodeFailed' ? [r.source.offset, r.code] : r._tag))).toEqual(
      corpus.map((c, i) => [String(i), c.code]),
    )
  })
})
