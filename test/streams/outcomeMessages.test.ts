import { isRight } from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import type { AttendanceRecord } from '../../src/codecs/attendanceRecord.js'
import { ErrorRecord, ResultRecord } from '../../src/codecs/outcomeRecords.js'
import { outcomeMessage as memberMessage, type OutcomeMessage } from '../../src/member/outcomeMessage.js'
import type { SinkOutcome } from '../../src/sinks/sinkOutcome.js'
import { decodeRecord } from '../../src/streams/decodeRecords.js'
import { attendanceOutcome, type PipelineOutcome } from '../../src/streams/outcomeMessages.js'

const topics = { results: 'attendance-results', errors: 'attendance-errors' }
/** The Kafka message an attendance outcome ends as: the flow's outcome, wrapped by the member. */
const outcomeMessage = (outcome: PipelineOutcome): OutcomeMessage => {
  const message = memberMessage(attendanceOutcome(outcome), topics)
  if (message === undefined) throw new Error('an attendance outcome is never Skipped')
  return message
}
const original = Buffer.from('{"type":"badge.scanned","scanId":"scn-000123"}')
const coordinates = {
  topic: 'scans',
  partition: 3,
  offset: '1045',
  timestamp: '1764407643120',
  key: 'scn-000123',
}
const source = { ...coordinates, value: original }
const record: AttendanceRecord = {
  account: 'default',
  event: { kind: 'external', externalEventId: 'expo-2026', externalAccountId: 'acct-7' },
  subscriberState: 'attend',
  contact: { vid: 51234 },
  interactionDateTime: 1764407643120,
  properties: { joinedAt: '1764407643120' },
  contactProperties: {},
  origin: { type: 'badge.scanned', id: 'scn-000123' },
  source,
}

describe('attendanceOutcome, as the member writes it', () => {
  it('turns Recorded into a result record keyed by the input key, with the source headers', () => {
    const outcome: SinkOutcome = {
      _tag: 'Recorded',
      record,
      batchId: 'b-1',
      batchSize: 87,
      attempts: 2,
      sentAt: Date.UTC(2026, 10, 29, 9, 14, 4),
      completedAt: Date.UTC(2026, 10, 29, 9, 14, 4, 250),
      hubspotStatus: 'COMPLETE',
      correlationId: 'c0ffee',
    }
    const message = outcomeMessage(outcome)
    expect(message.topic).toBe('attendance-results')
    expect(message.key?.toString('utf8')).toBe('scn-000123')
    expect(message.headers).toEqual({
      'source-topic': 'scans',
      'source-partition': '3',
      'source-offset': '1045',
    })
    const value = JSON.parse(message.value)
    expect(value).toEqual({
      schema: 'attendance-stream.result/v1',
      source: coordinates,
      eventId: 'expo-2026',
      externalAccountId: 'acct-7',
      subscriberState: 'attend',
      contact: { vid: 51234 },
      interactionDateTime: 1764407643120,
      batch: {
        id: 'b-1',
        size: 87,
        attempts: 2,
        sentAt: '2026-11-29T09:14:04.000Z',
        completedAt: '2026-11-29T09:14:04.250Z',
      },
      hubspot: { status: 'COMPLETE', correlationId: 'c0ffee' },
    })
    expect(isRight(ResultRecord.decode(value))).toBe(true)
  })

  it('turns a sink failure into an error record with the original value untouched and an error-code header', () => {
    const outcome: SinkOutcome = {
      _tag: 'Failed',
      record: { ...record, source: { ...source, key: 'AP8=', keyEncoding: 'base64' } },
      batchId: 'b-2',
      attempts: 6,
      code: 'HUBSPOT_RETRIES_EXHAUSTED',
      message: 'HubSpot answered 503 six times\nlast: Service Unavailable',
      details: ['503 SERVICE_UNAVAILABLE'],
      httpStatus: 503,
      correlationId: 'abc',
    }
    const message = outcomeMessage(outcome)
    expect(message.topic).toBe('attendance-errors')
    expect(message.key).toEqual(Buffer.from([0x00, 0xff])) // binary keys are restored byte for byte
    expect(message.headers['error-code']).toBe('HUBSPOT_RETRIES_EXHAUSTED')
    const value = JSON.parse(message.value)
    expect(value).toEqual({
      schema: 'attendance-stream.error/v1',
      source: { ...coordinates, key: 'AP8=', keyEncoding: 'base64' },
      stage: 'sink',
      code: 'HUBSPOT_RETRIES_EXHAUSTED',
      retryable: true,
      message: 'HubSpot answered 503 six times last: Service Unavailable',
      details: ['503 SERVICE_UNAVAILABLE'],
      payload: {
        encoding: 'utf8',
        data: original.toString('utf8'),
        truncated: false,
        originalBytes: original.length,
      },
      attempts: 6,
      hubspot: { httpStatus: 503, correlationId: 'abc' },
    })
    expect(isRight(ErrorRecord.decode(value))).toBe(true)
  })

  it('turns a decode failure into a decode-stage error record, not retryable, with no HubSpot attempt', () => {
    const failed = decodeRecord({
      topic: 'scans',
      partition: 0,
      offset: '7',
      timestamp: '1764407643120',
      key: null,
      value: Buffer.from('{"type":"badge.scanned",'),
    })
    const message = outcomeMessage(failed as PipelineOutcome)
    expect(message.topic).toBe('attendance-errors')
    expect(message.key).toBeNull()
    const value = JSON.parse(message.value)
    expect(value).toMatchObject({
      schema: 'attendance-stream.error/v1',
      stage: 'decode',
      code: 'INVALID_JSON',
      retryable: false,
      attempts: 0,
      payload: { encoding: 'utf8', data: '{"type":"badge.scanned",' },
    })
    expect(message.headers).toEqual({
      'source-topic': 'scans',
      'source-partition': '0',
      'source-offset': '7',
      'error-code': 'INVALID_JSON',
    })
  })
})

describe('sinkErrorRecordOf', () => {
  const rejected = (code: Extract<SinkOutcome, { _tag: 'Rejected' }>['code'], extra = {}): SinkOutcome => ({
    _tag: 'Rejected',
    record,
    batchId: 'b-3',
    attempts: 1,
    code,
    message: 'HubSpot said no',
    details: [],
    ...extra,
  })
  const written = (outcome: SinkOutcome) => JSON.parse(outcomeMessage(outcome).value) as ErrorRecord

  it('marks dead-lettered configuration faults retryable, and a rejected input not', () => {
    expect(written(rejected('HUBSPOT_UNAUTHENTICATED', { httpStatus: 401 })).retryable).toBe(true)
    expect(written(rejected('HUBSPOT_MISSING_SCOPES', { httpStatus: 403 })).retryable).toBe(true)
    expect(written(rejected('HUBSPOT_UNKNOWN_ENDPOINT', { httpStatus: 404 })).retryable).toBe(true)
    expect(
      written(rejected('HUBSPOT_REJECTED', { httpStatus: 404, category: 'OBJECT_NOT_FOUND' })).retryable,
    ).toBe(false)
    expect(written(rejected('HUBSPOT_BAD_RESPONSE')).retryable).toBe(false)
  })

  it('folds a HubSpot message onto one line in linear time, and cuts it to 1,000 characters', () => {
    const spaces = ' '.repeat(40_000)
    const started = performance.now()
    const record = written(
      rejected('HUBSPOT_REJECTED', {
        message: `first${spaces}x\r\n  second\n\nthird`,
        details: [`a${spaces}b`, 'line\nbreak'],
      }),
    )
    // The old /\s*[\r\n]+\s*/g took 2.1 s on 40,000 spaces; linear code takes milliseconds on any machine.
    expect(performance.now() - started).toBeLessThan(500)
    expect(record.message).toBe('first x second third')
    expect(record.details).toEqual(['a b', 'line break'])
    const long = written(rejected('HUBSPOT_REJECTED', { message: 'é'.repeat(5_000) })).message
    expect(long).toBe(`${'é'.repeat(1_000)}…`)
    expect(written(rejected('HUBSPOT_REJECTED', { message: 'one\r\n  two \n three' })).message).toBe(
      'one two three',
    )
  })
})
