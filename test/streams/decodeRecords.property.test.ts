import fc from 'fast-check'
import { from, lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { AttendanceRecord } from '../../src/codecs/attendanceRecord.js'
import { ErrorRecord, errorRecordFromDecodeFailure } from '../../src/codecs/outcomeRecords.js'
import { DECODE_ERROR_CODES, decodeRecord, decodeRecords } from '../../src/streams/decodeRecords.js'
import { validEvent } from '../fixtures/decode/arbitraries.js'
import { fixedClock, kafkaRecord } from '../fixtures/decode/helpers.js'

const options = { scheduler: fixedClock(), account: 'acct-eu' }

const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
)
const value = fc.option(bytes, { nil: null, freq: 20 })

describe('decodeRecord properties', () => {
  it('decodes every valid event to the record records.md describes', () => {
    fc.assert(
      fc.property(validEvent, fc.option(fc.uint8Array({ maxLength: 20 }), { nil: null }), (event, key) => {
        const record = kafkaRecord(JSON.stringify(event.wire), {
          key: key === null ? null : Buffer.from(key),
        })
        const result = decodeRecord(record, options)
        expect(result).toEqual({
          _tag: 'Decoded',
          record: event.expected(record, 'acct-eu'),
        })
        if (result._tag === 'Decoded') expect(AttendanceRecord.is(result.record)).toBe(true)
      }),
      { numRuns: 500 },
    )
  })

  it('decodes the same record when the producer adds a __proto__ key holding any fields', () => {
    const smuggled = fc.dictionary(
      fc.constantFrom(
        'direction',
        'eventObjectId',
        'eventId',
        'externalAccountId',
        'properties',
        'state',
        'vid',
      ),
      fc.jsonValue({ maxDepth: 1 }),
    )
    fc.assert(
      fc.property(validEvent, smuggled, (event, proto) => {
        const text = `{"__proto__":${JSON.stringify(proto)},${JSON.stringify(event.wire).slice(1)}`
        const record = kafkaRecord(text)
        expect(decodeRecord(record, options)).toEqual({
          _tag: 'Decoded',
          record: event.expected(record, 'acct-eu'),
        })
      }),
      { numRuns: 300 },
    )
  })

  it('never throws on arbitrary bytes, and every failure makes a valid error record', () => {
    fc.assert(
      fc.property(value, (v) => {
        const result = decodeRecord(kafkaRecord(v), options)
        if (result._tag === 'Decoded') {
          expect(AttendanceRecord.is(result.record)).toBe(true)
        } else {
          expect(DECODE_ERROR_CODES).toContain(result.code)
          expect(ErrorRecord.is(errorRecordFromDecodeFailure(result))).toBe(true)
        }
      }),
      { numRuns: 2_000 },
    )
  })

  it('never throws on a valid event with one field replaced by any JSON value', () => {
    fc.assert(
      fc.property(
        validEvent,
        fc.string({ maxLength: 12 }),
        fc.jsonValue({ maxDepth: 3 }),
        (event, field, junk) => {
          const wire = { ...event.wire, [field]: junk }
          const result = decodeRecord(kafkaRecord(JSON.stringify(wire)), options)
          expect(['Decoded', 'DecodeFailed']).toContain(result._tag)
        },
      ),
      { numRuns: 1_000 },
    )
  })

  it('emits exactly one result per record, in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(value, { maxLength: 40 }), async (values) => {
        const records = values.map((v, i) => kafkaRecord(v, { offset: String(i) }))
        const results = await lastValueFrom(from(records).pipe(decodeRecords(options), toArray()))
        expect(results.map((r) => (r._tag === 'Decoded' ? r.record.source.offset : r.source.offset))).toEqual(
          records.map((r) => r.offset),
        )
      }),
      { numRuns: 200 },
    )
  })
})
