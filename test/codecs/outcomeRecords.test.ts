import fc from 'fast-check'
import { isRight } from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { reportErrors } from '../../src/codecs/decodeReporter.js'
import {
  ERROR_SCHEMA,
  ErrorRecord,
  errorRecordFromDecodeFailure,
  RESULT_SCHEMA,
  ResultRecord,
} from '../../src/codecs/outcomeRecords.js'
import { decodeRecord } from '../../src/streams/decodeRecords.js'
import { fixedClock, kafkaRecord } from '../fixtures/decode/helpers.js'

const int64String = fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String)
const source = fc.record(
  {
    topic: fc.string({ minLength: 1 }),
    partition: fc.nat(),
    offset: int64String,
    timestamp: int64String,
    key: fc.option(fc.string(), { nil: null }),
    keyEncoding: fc.constant('base64' as const),
  },
  { requiredKeys: ['topic', 'partition', 'offset', 'timestamp', 'key'] },
)
const iso = fc.date({ noInvalidDate: true }).map((d) => d.toISOString())

const resultRecord: fc.Arbitrary<ResultRecord> = fc
  .tuple(
    fc.record({
      schema: fc.constant(RESULT_SCHEMA),
      source,
      subscriberState: fc.constantFrom('register' as const, 'attend' as const, 'cancel' as const),
      contact: fc.oneof(
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }).map((vid) => ({ vid })),
        fc.emailAddress().map((email) => ({ email })),
      ),
      interactionDateTime: fc.integer({ min: 0, max: 4e12 }),
      batch: fc.record({
        id: fc.string(),
        size: fc.nat(100),
        attempts: fc.nat(10),
        sentAt: iso,
        completedAt: iso,
      }),
      hubspot: fc.record(
        {
          status: fc.constantFrom('COMPLETE', 'PENDING', 'PROCESSING', 'CANCELED'),
          correlationId: fc.uuid(),
        },
        { requiredKeys: ['status'] },
      ),
    }),
    fc.oneof(
      fc.record({ eventId: fc.string(), externalAccountId: fc.string() }, { requiredKeys: ['eventId'] }),
      fc.record({ eventObjectId: fc.stringMatching(/^[0-9]{1,20}$/) }),
    ),
  )
  .map(([base, event]) => ({ ...base, ...event }))

const errorRecord: fc.Arbitrary<ErrorRecord> = fc.record(
  {
    schema: fc.constant(ERROR_SCHEMA),
    source,
    stage: fc.constantFrom('decode' as const, 'sink' as const),
    code: fc.constantFrom('INVALID_JSON', 'TOO_LARGE', 'HUBSPOT_REJECTED', 'HUBSPOT_RETRIES_EXHAUSTED'),
    retryable: fc.boolean(),
    message: fc.string().map((s) => s.replace(/[\r\n\u2028\u2029]/g, ' ')),
    details: fc.array(fc.string()),
    payload: fc.record({ encoding: fc.constantFrom('utf8' as const, 'base64' as const), data: fc.string() }),
    attempts: fc.nat(20),
    hubspot: fc.record(
      { httpStatus: fc.integer({ min: 100, max: 599 }), category: fc.string(), correlationId: fc.uuid() },
      { requiredKeys: [] },
    ),
  },
  {
    requiredKeys: [
      'schema',
      'source',
      'stage',
      'code',
      'retryable',
      'message',
      'details',
      'payload',
      'attempts',
    ],
  },
)

const throughJson = (u: unknown): unknown => JSON.parse(JSON.stringify(u))

describe('outcome record codecs', () => {
  it('round-trip result records through JSON: decode ∘ encode = id', () => {
    fc.assert(
      fc.property(resultRecord, (record) => {
        expect(ResultRecord.decode(throughJson(ResultRecord.encode(record)))).toEqual({
          _tag: 'Right',
          right: record,
        })
      }),
    )
  })

  it('round-trip error records through JSON: decode ∘ encode = id', () => {
    fc.assert(
      fc.property(errorRecord, (record) => {
        expect(ErrorRecord.decode(throughJson(ErrorRecord.encode(record)))).toEqual({
          _tag: 'Right',
          right: record,
        })
      }),
    )
  })

  it('decode the examples of records.md', () => {
    const result = {
      schema: 'attendance-stream.result/v1',
      source: { topic: 'scans', partition: 3, offset: '1045', timestamp: '1764407643120', key: 'scn-000123' },
      eventId: 'expo-2026',
      subscriberState: 'attend',
      contact: { vid: 51234 },
      interactionDateTime: 1764407643120,
      batch: {
        id: 'b-1',
        size: 87,
        attempts: 1,
        sentAt: '2026-11-29T09:14:04Z',
        completedAt: '2026-11-29T09:14:05Z',
      },
      hubspot: { status: 'COMPLETE', correlationId: 'c-1' },
    }
    expect(isRight(ResultRecord.decode(result))).toBe(true)
    const error = {
      schema: 'attendance-stream.error/v1',
      source: { topic: 'scans', partition: 3, offset: '1046', timestamp: '1764407643120', key: null },
      stage: 'sink',
      code: 'HUBSPOT_REJECTED',
      retryable: false,
      message: 'HubSpot rejected the contact',
      details: ['VALIDATION_ERROR: contact 51234 does not exist'],
      payload: { encoding: 'utf8', data: '{}' },
      attempts: 1,
      hubspot: { httpStatus: 400, category: 'VALIDATION_ERROR', correlationId: 'c-2' },
    }
    expect(isRight(ErrorRecord.decode(error))).toBe(true)
  })

  it('refuse a wrong schema, a multi-line message and a string offset that is a number', () => {
    const good = errorRecordFromDecodeFailure(
      decodeRecord(kafkaRecord('nope'), { scheduler: fixedClock() }) as Parameters<
        typeof errorRecordFromDecodeFailure
      >[0],
    )
    const problems = (u: unknown) => {
      const r = ErrorRecord.decode(u)
      return r._tag === 'Left' ? reportErrors(r.left) : []
    }
    expect(problems(good)).toEqual([])
    expect(problems({ ...good, schema: 'attendance-stream.error/v2', message: 'a\nb' })).toEqual([
      'schema: expected "attendance-stream.error/v1", got "attendance-stream.error/v2"',
      'message: expected a one-line string, got "a\\nb" (has a line break)',
    ])
    expect(problems({ ...good, source: { ...good.source, offset: 1046 } })).toEqual([
      'source.offset: expected a string, got 1046',
    ])
  })
})

describe('errorRecordFromDecodeFailure', () => {
  it('builds a non-retryable decode-stage record with no HubSpot attempt', () => {
    const failure = decodeRecord(kafkaRecord('[1]'), { scheduler: fixedClock() })
    if (failure._tag !== 'DecodeFailed') throw new Error('expected a failure')
    expect(errorRecordFromDecodeFailure(failure)).toEqual({
      schema: 'attendance-stream.error/v1',
      source: { topic: 'scans', partition: 3, offset: '1045', timestamp: '1764407643120', key: 'scn-000123' },
      stage: 'decode',
      code: 'NOT_AN_OBJECT',
      retryable: false,
      message: 'expected a JSON object, got an array',
      details: [],
      payload: { encoding: 'utf8', data: '[1]', truncated: false, originalBytes: 3 },
      attempts: 0,
    })
  })
})
