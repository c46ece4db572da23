import { map } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { AttendanceStreamError } from '../../src/errors.js'
import type { SourceRecord } from '../../src/member/sourceRecord.js'
import {
  type DecodeFailed,
  type DecodeResult,
  decodeRecord,
  decodeRecords,
} from '../../src/streams/decodeRecords.js'
import { fixedClock, kafkaRecord, NOW } from '../fixtures/decode/helpers.js'

const options = { scheduler: fixedClock() }

const scan = {
  type: 'badge.scanned',
  scanId: 'scn-000123',
  eventId: 'expo-2026',
  contact: { vid: 51234 },
  scannedAt: '2025-11-29T09:14:03.120Z',
  direction: 'in',
  scanner: { id: 'gate-3', location: 'Hall A' },
}
const checkin = {
  type: 'attendee.checkin',
  checkinId: 'chk-88',
  eventId: 'expo-2026',
  state: 'register',
  contact: { email: 'ada@example.com', properties: { firstname: 'Ada' } },
  occurredAt: 1764407643120,
  externalAccountId: 'acct-7',
}
const json = (u: unknown) => JSON.stringify(u)

const failed = (result: DecodeResult): DecodeFailed => {
  if (result._tag !== 'DecodeFailed') throw new Error(`expected a failure, got ${json(result)}`)
  return result
}
const decoded = (result: DecodeResult) => {
  if (result._tag !== 'Decoded') throw new Error(`expected a record, got ${json(result)}`)
  return result.record
}

const source = {
  topic: 'scans',
  partition: 3,
  offset: '1045',
  timestamp: '1764407643120',
  key: 'scn-000123',
}

describe('decodeRecord: the examples of records.md', () => {
  it('decodes the badge scan example', () => {
    expect(decodeRecord(kafkaRecord(json(scan)), options)).toEqual({
      _tag: 'Decoded',
      record: {
        account: 'default',
        event: { kind: 'external', externalEventId: 'expo-2026' },
        subscriberState: 'attend',
        contact: { vid: 51234 },
        interactionDateTime: 1764407643120,
        properties: { joinedAt: '1764407643120' },
        contactProperties: {},
        origin: { type: 'badge.scanned', id: 'scn-000123' },
        source: expect.objectContaining(source),
      },
    })
  })

  it('decodes the check-in example', () => {
    expect(decodeRecord(kafkaRecord(json(checkin)), { ...options, account: 'eu' })).toEqual({
      _tag: 'Decoded',
      record: {
        account: 'eu',
        event: { kind: 'external', externalEventId: 'expo-2026', externalAccountId: 'acct-7' },
        subscriberState: 'register',
        contact: { email: 'ada@example.com' },
        interactionDateTime: 1764407643120,
        properties: {},
        contactProperties: { firstname: 'Ada' },
        origin: { type: 'attendee.checkin', id: 'chk-88' },
        source: expect.objectContaining(source),
      },
    })
  })

  it('maps direction out to leftAt, and a missing direction to joinedAt', () => {
    const out = decoded(decodeRecord(kafkaRecord(json({ ...scan, direction: 'out' })), options))
    expect(out.properties).toEqual({ leftAt: '1764407643120' })
    const { direction: _, ...noDirection } = scan
    expect(decoded(decodeRecord(kafkaRecord(json(noDirection)), options)).properties).toEqual({
      joinedAt: '1764407643120',
    })
  })

  it('sets joinedAt for an attend check-in, nothing for register and cancel', () => {
    const at = (state: string) => decoded(decodeRecord(kafkaRecord(json({ ...checkin, state })), options))
    expect(at('attend').properties).toEqual({ joinedAt: '1764407643120' })
    expect(at('attend').subscriberState).toBe('attend')
    expect(at('cancel').properties).toEqual({})
  })

  it('selects the objectId variant with eventObjectId', () => {
    const { eventId: _, externalAccountId: __, ...rest } = checkin
    const record = decoded(
      decodeRecord(kafkaRecord(json({ ...rest, eventObjectId: '18446744073709551615' })), options),
    )
    expect(record.event).toEqual({ kind: 'object', objectId: '18446744073709551615' })
  })

  it('reads ISO-8601 with any offset as the same instant', () => {
    const at = (scannedAt: string) =>
      decoded(decodeRecord(kafkaRecord(json({ ...scan, scannedAt })), options)).interactionDateTime
    expect(at('2025-11-29T10:14:03.120+01:00')).toBe(1764407643120)
    expect(at('2025-11-29T03:44:03.120-05:30')).toBe(1764407643120)
    expect(at('2025-11-29T09:14:03.120999Z')).toBe(1764407643120)
  })

  it('ignores unknown fields', () => {
    const record = decoded(
      decodeRecord(kafkaRecord(json({ ...scan, firmware: { v: [1, 2] }, note: null })), options),
    )
    expect(record.origin.id).toBe('scn-000123')
  })
})

describe('decodeRecord: the input travels with the result', () => {
  it('keeps the record it was given as the source of what it decodes or refuses (no copy, nothing on the side)', () => {
    const good = kafkaRecord(json(scan))
    const bad = kafkaRecord('{')
    expect(decoded(decodeRecord(good, options)).source).toBe(good)
    expect(failed(decodeRecord(bad, options)).source).toBe(bad)
  })
})

describe('decodeRecord: one rule, one code, one exact message', () => {
  const fail = (value: string | Buffer | null, opts = {}) =>
    failed(decodeRecord(kafkaRecord(value), { ...options, ...opts }))

  it('TOMBSTONE', () => {
    expect(fail(null)).toEqual({
      _tag: 'DecodeFailed',
      source: expect.objectContaining(source),
      code: 'TOMBSTONE',
      message: 'tombstone: the record has no value',
      details: [],
      payload: { encoding: 'utf8', data: '' },
    })
  })

  it('TOO_LARGE, checked before parsing, with the cap configurable and the value kept whole when it can be', () => {
    const failure = fail(json(scan), { maxValueBytes: 100 })
    expect(failure.code).toBe('TOO_LARGE')
    expect(failure.message).toBe(`value of ${json(scan).length} bytes is over the 100-byte limit`)
    expect(failure.details).toEqual([])
    expect(failure.payload).toEqual({ encoding: 'utf8', data: json(scan) })
    expect(decodeRecord(kafkaRecord(json(scan)), { ...options, maxValueBytes: json(scan).length })._tag).toBe(
      'Decoded',
    )
  })

  it('TOO_LARGE keeps a 70 KiB value whole, UTF-8 or binary', () => {
    const text = 'é'.repeat(35 * 1024)
    expect(fail(text).payload).toEqual({ encoding: 'utf8', data: text })
    const binary = Buffer.alloc(70 * 1024, 0xff)
    expect(fail(binary).payload).toEqual({ encoding: 'base64', data: binary.toString('base64') })
  })

  it('TOO_LARGE cuts a value that no error record could carry to 900,000 bytes of whole characters', () => {
    const value = Buffer.from(`a${'€'.repeat(400_000)}`) // 1,200,001 bytes: the cut falls inside a €
    const payload = fail(value, { maxValueBytes: 1_048_576 }).payload
    expect(payload).toEqual({
      encoding: 'utf8',
      data: `a${'€'.repeat(299_999)}`,
      truncated: true,
      originalBytes: 1_200_001,
    })
  })

  it('INVALID_UTF8, with the bytes as base64', () => {
    const bytes = Buffer.from([0x7b, 0xc3, 0x28, 0x7d])
    expect(fail(bytes)).toMatchObject({
      code: 'INVALID_UTF8',
      message: 'value is not valid UTF-8',
      details: [],
      payload: { encoding: 'base64', data: bytes.toString('base64') },
    })
  })

  it('INVALID_JSON, with the parser message', () => {
    expect(fail('{"type":')).toMatchObject({
      code: 'INVALID_JSON',
      message: 'value is not valid JSON: Unexpected end of JSON input',
      payload: { encoding: 'utf8', data: '{"type":' },
    })
  })

  it('INVALID_JSON for a leading byte order mark', () => {
    expect(fail(`\ufeff${json(scan)}`).message).toBe(
      'value is not valid JSON: it starts with a byte order mark (U+FEFF)',
    )
  })

  it('NOT_AN_OBJECT', () => {
    expect(fail('[1,2]')).toMatchObject({
      code: 'NOT_AN_OBJECT',
      message: 'expected a JSON object, got an array',
    })
  })

  it('UNKNOWN_TYPE', () => {
    expect(fail(json({ ...scan, type: 'badge.swiped' }))).toMatchObject({
      code: 'UNKNOWN_TYPE',
      message: 'unknown event type',
      details: ['type: expected "badge.scanned" or "attendee.checkin", got "badge.swiped"'],
    })
  })

  it('INVALID_EVENT reports every problem, path-qualified', () => {
    const failure = fail(
      json({ ...checkin, checkinId: '', contact: { vid: -4 }, state: 'here', occurredAt: 'soon' }),
    )
    expect(failure.code).toBe('INVALID_EVENT')
    expect(failure.details).toEqual([
      'checkinId: expected a string of 1 to 128 characters, got "" (empty)',
      'state: expected "register", "attend" or "cancel", got "here"',
      'contact.vid: expected a positive integer, got -4',
      'occurredAt: expected an ISO-8601 timestamp with offset or integer epoch milliseconds, got "soon" (not ISO-8601)',
    ])
    expect(failure.message).toBe(
      'invalid attendee.checkin event: checkinId: expected a string of 1 to 128 characters, got "" (empty) (and 3 more)',
    )
  })

  it('TIMESTAMP_OUT_OF_RANGE, before notBefore and past now + maxFutureMs, both configurable', () => {
    const early = fail(json({ ...scan, scannedAt: '1999-12-31T23:59:59Z' }))
    expect(early.code).toBe('TIMESTAMP_OUT_OF_RANGE')
    expect(early.message).toBe(
      'badge.scanned scannedAt: 946684799000 (1999-12-31T23:59:59.000Z) is before the earliest accepted time 946684800000 (2000-01-01T00:00:00.000Z)',
    )
    const limit = NOW + 86_400_000
    expect(decodeRecord(kafkaRecord(json({ ...checkin, occurredAt: limit })), options)._tag).toBe('Decoded')
    expect(fail(json({ ...checkin, occurredAt: limit + 1 })).details).toEqual([
      'occurredAt: 1767312000001 (2026-01-02T00:00:00.001Z) is more than 86400000 ms after now, 1767225600000 (2026-01-01T00:00:00.000Z)',
    ])
    expect(fail(json({ ...checkin, occurredAt: NOW + 1 }), { maxFutureMs: 0 }).code).toBe(
      'TIMESTAMP_OUT_OF_RANGE',
    )
    expect(fail(json(checkin), { notBefore: 1764407643121 }).code).toBe('TIMESTAMP_OUT_OF_RANGE')
    expect(decodeRecord(kafkaRecord(json(checkin)), { ...options, notBefore: 1764407643120 })._tag).toBe(
      'Decoded',
    )
  })

  it('reports schema problems before range problems', () => {
    expect(fail(json({ ...scan, scannedAt: 0, scanId: 1 })).code).toBe('INVALID_EVENT')
  })
})

describe('__proto__ in the input', () => {
  it('cannot smuggle fields into the decoded event', () => {
    const value = `{"__proto__":{"direction":"out","eventObjectId":"9","externalAccountId":"x"},${json(scan).slice(1)}`
    const record = decoded(decodeRecord(kafkaRecord(value.replace('"direction":"in",', '')), options))
    expect(record.properties).toEqual({ joinedAt: '1764407643120' })
    expect(record.event).toEqual({ kind: 'external', externalEventId: 'expo-2026' })
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype)
  })

  it('cannot reach Object.prototype from anywhere in a record', () => {
    const payloads = [
      `{"__proto__":{"polluted":"yes"},${json(checkin).slice(1)}`,
      json(checkin).replace('"firstname":"Ada"', '"firstname":"Ada","__proto__":{"polluted":"yes"}'),
      json(checkin).replace('{"email"', '{"__proto__":{"polluted":"yes"},"email"'),
      json(scan).replace('"gate-3"', '"gate-3","__proto__":{"polluted":"yes"}'),
      json({ ...scan, constructor: { prototype: { polluted: 'yes' } } }),
    ]
    const results = payloads.map((p) => decodeRecord(kafkaRecord(p), options))
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
    expect(Object.prototype).not.toHaveProperty('polluted')
    expect(results.map((r) => r._tag)).toEqual([
      'Decoded',
      'DecodeFailed',
      'Decoded',
      'DecodeFailed',
      'Decoded',
    ])
    for (const r of results) {
      if (r._tag !== 'Decoded') continue
      expect(Object.getPrototypeOf(r.record.contactProperties)).toBe(Object.prototype)
      expect(Object.keys(r.record.contactProperties)).not.toContain('__proto__')
      expect(Object.getPrototypeOf(r.record.contact)).toBe(Object.prototype)
    }
    expect(failed(results[1]!).details).toEqual([
      'contact.properties.__proto__: not allowed as a property name',
    ])
  })

  it('does not let a prototype-named property hide a missing field', () => {
    const value = json({
      ...checkin,
      contact: { email: 'ada@example.com', properties: { constructor: 'x' } },
    })
    expect(decoded(decodeRecord(kafkaRecord(value), options)).contactProperties).toEqual({ constructor: 'x' })
  })
})

describe('deep nesting', () => {
  it('decodes a million nested arrays under a 20 MB cap without overflowing the stack', () => {
    const deep = '['.repeat(1_000_000) + ']'.repeat(1_000_000)
    expect(failed(decodeRecord(kafkaRecord(deep), { ...options, maxValueBytes: 20_000_000 })).code).toBe(
      'NOT_AN_OBJECT',
    )
  })

  it('reports a deeply nested field value without walking it', () => {
    const nested = `${'{"a":'.repeat(1_000_000)}1${'}'.repeat(1_000_000)}`
    const value = json({ ...scan, scanner: { id: '@' } }).replace('"@"', nested)
    const failure = failed(decodeRecord(kafkaRecord(value), { ...options, maxValueBytes: 20_000_000 }))
    expect(failure.details).toEqual(['scanner.id: expected a string, got an object'])
  })
})

describe('decodeRecords operator', () => {
  const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
  const good = kafkaRecord(json(scan), { offset: '1' })
  const bad = kafkaRecord('nope', { offset: '2' })
  const tomb = kafkaRecord(null, { offset: '3' })
  const tag = (r: DecodeResult) =>
    r._tag === 'Decoded' ? `ok@${r.record.source.offset}` : `${r.code}@${r.source.offset}`

  it('emits one result per record, in order, and completes with its source', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source$ = cold('-a-b--c-a|', { a: good, b: bad, c: tomb })
      expectObservable(source$.pipe(decodeRecords(options), map(tag))).toBe('-a-b--c-a|', {
        a: 'ok@1',
        b: 'INVALID_JSON@2',
        c: 'TOMBSTONE@3',
      })
    })
  })

  it('uses the scheduler clock for the future check', () => {
    const scheduler = testScheduler()
    scheduler.run(({ cold, expectObservable }) => {
      // Virtual time: "now" is the frame number, so the same event is in the future at frame 0, not at frame 5.
      const record = kafkaRecord(json({ ...checkin, occurredAt: 2 }), { offset: '7' })
      const source$ = cold('a----a|', { a: record })
      expectObservable(
        source$.pipe(decodeRecords({ notBefore: 0, maxFutureMs: 0, scheduler }), map(tag)),
      ).toBe('a----b|', { a: 'TIMESTAMP_OUT_OF_RANGE@7', b: 'ok@7' })
    })
  })

  it('passes source errors through and emits nothing after them', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source$ = cold('a-#', { a: good }, new Error('broker gone'))
      expectObservable(source$.pipe(decodeRecords(options))).toBe(
        'a-#',
        { a: expect.objectContaining({ _tag: 'Decoded' }) },
        new Error('broker gone'),
      )
    })
  })

  it('handles empty and never-ending sources, and unsubscription', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      expectObservable(cold<SourceRecord>('|').pipe(decodeRecords(options))).toBe('|')
      const never$ = cold('-a--', { a: bad })
      expectObservable(never$.pipe(decodeRecords(options)), '^--!').toBe('-a-', {
        a: expect.objectContaining({ code: 'INVALID_JSON' }),
      })
      expectSubscriptions(never$.subscriptions).toBe('^--!')
    })
  })

  it('refuses bad options when the operator is created', () => {
    expect(() => decodeRecords({ maxValueBytes: -1 })).toThrow(AttendanceStreamError)
    expect(() => decodeRecords({ maxFutureMs: Number.NaN })).toThrow(
      /maxFutureMs must be a non-negative integer/,
    )
    expect(() => decodeRecords({ account: '' })).toThrow(/account must not be empty/)
    expect(() => decodeRecords({ maxValueBytes: 1_048_577 })).toThrow(/maxValueBytes must be at most 1048576/)
    expect(() => decodeRecords({ accounts: { names: ['eu'], default: 'us' } })).toThrow(
      'decodeRecords: the default account "us" is not one of the accounts',
    )
    expect(() =>
      decodeRecords({ accounts: { names: ['eu'], default: 'eu', byTopic: { scans: 'us' } } }),
    ).toThrow('decodeRecords: topic "scans" is mapped to "us", which is not one of the accounts')
  })
})

describe('decodeRecord: which HubSpot account', () => {
  const accounts = { names: ['eu', 'us', 'apac'], default: 'eu', byTopic: { 'us-scans': 'us' } }
  const accountOf = (value: unknown, topic = 'scans') =>
    decodeRecord(kafkaRecord(json(value), { topic }), { ...options, accounts })

  it("takes the record's account field, else its topic's account, else the default", () => {
    expect(decoded(accountOf({ ...scan, account: 'apac' }, 'us-scans')).account).toBe('apac')
    expect(decoded(accountOf(checkin, 'us-scans')).account).toBe('us')
    expect(decoded(accountOf(scan)).account).toBe('eu')
    // A topic named like an Object member finds no account by accident.
    expect(decoded(accountOf(scan, '__proto__')).account).toBe('eu')
  })

  it('makes a record naming an account that is not configured UNKNOWN_ACCOUNT', () => {
    expect(failed(accountOf({ ...checkin, account: 'latam' }, 'us-scans'))).toEqual({
      _tag: 'DecodeFailed',
      source: expect.objectContaining({ ...source, topic: 'us-scans' }),
      code: 'UNKNOWN_ACCOUNT',
      message: 'attendee.checkin names account "latam", which is not configured',
      details: ['account: expected one of the configured accounts ("eu", "us", "apac"), got "latam"'],
      payload: { encoding: 'utf8', data: json({ ...checkin, account: 'latam' }) },
    })
  })

  it('without accounts, only the one account exists', () => {
    const only = (value: unknown) => decodeRecord(kafkaRecord(json(value)), { ...options, account: 'main' })
    expect(decoded(only({ ...scan, account: 'main' })).account).toBe('main')
    expect(failed(only({ ...scan, account: 'default' })).code).toBe('UNKNOWN_ACCOUNT')
  })
})

describe('decodeRecords: a decoder that throws', () => {
  it('makes that record an INTERNAL failure and goes on with the next', () => {
    let calls = 0
    // The injected clock is the seam: decoding reads now() once per record that passed validation.
    const flaky = {
      ...fixedClock(),
      now: () => {
        calls += 1
        if (calls === 2) throw new RangeError('clock on fire')
        return NOW
      },
    }
    const results: DecodeResult[] = []
    const records = [0, 1, 2].map((i) => kafkaRecord(json(scan), { offset: String(i) }))
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold }) => {
      cold<SourceRecord>('abc|', { a: records[0]!, b: records[1]!, c: records[2]! })
        .pipe(decodeRecords({ scheduler: flaky }))
        .subscribe((r) => results.push(r))
    })
    expect(results.map((r) => r._tag)).toEqual(['Decoded', 'DecodeFailed', 'Decoded'])
    expect(results[1]).toEqual({
      _tag: 'DecodeFailed',
      source: records[1],
      code: 'INTERNAL',
      message: 'decoding threw: RangeError: clock on fire',
      details: [],
      payload: { encoding: 'utf8', data: json(scan) },
    })
  })
})
