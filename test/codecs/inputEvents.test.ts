import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { reportErrors } from '../../src/codecs/decodeReporter.js'
import {
  AttendeeCheckin,
  BadgeScanned,
  Contact,
  InputEvent,
  toAttendanceRecord,
  withoutProtoKey,
} from '../../src/codecs/inputEvents.js'
import { validEvent } from '../fixtures/decode/arbitraries.js'

const source = { topic: 'scans', partition: 0, offset: '9', timestamp: '1', key: null, value: null }

describe('input event codecs', () => {
  it('decode every valid event, and toAttendanceRecord gives the record records.md describes', () => {
    fc.assert(
      fc.property(validEvent, (event) => {
        const decoded = InputEvent.decode(event.wire)
        if (decoded._tag === 'Left') throw new Error(reportErrors(decoded.left).join('\n'))
        expect(toAttendanceRecord(decoded.right, source, 'a')).toEqual(event.expected(source, 'a'))
        expect(InputEvent.is(decoded.right)).toBe(true)
      }),
      { numRuns: 300 },
    )
  })

  it('encode times back to epoch ms', () => {
    const wire = {
      type: 'badge.scanned',
      scanId: 's',
      eventId: 'e',
      contact: { vid: 1 },
      scannedAt: '2025-01-01T01:00:00+01:00',
    }
    const decoded = BadgeScanned.decode(wire)
    if (decoded._tag === 'Left') throw new Error('expected a scan')
    expect(BadgeScanned.encode(decoded.right)).toMatchObject({ scannedAt: Date.UTC(2025, 0, 1) })
  })

  it('tell a vid contact from an email contact, and refuse both or neither', () => {
    expect(Contact.is({ vid: 1 })).toBe(true)
    expect(Contact.is({ email: 'ada@example.com', properties: { a: 'b' } })).toBe(true)
    expect(Contact.is({ vid: 1, email: 'ada@example.com' })).toBe(false)
    expect(Contact.is({ vid: 1, properties: {} })).toBe(false)
    expect(Contact.is({})).toBe(false)
  })

  it('report a check-in whose every field is wrong, all at once', () => {
    const r = AttendeeCheckin.decode({ type: 'attendee.checkin', state: 1, contact: null, occurredAt: [] })
    expect(r._tag === 'Left' ? reportErrors(r.left) : []).toEqual([
      'checkinId: missing, expected a string of 1 to 128 characters',
      'state: expected "register", "attend" or "cancel", got 1',
      'contact: expected an object with vid or email, got null',
      'occurredAt: expected an ISO-8601 timestamp with offset or integer epoch milliseconds, got an empty array',
      'eventId: missing, expected a string of 1 to 256 characters (or eventObjectId)',
    ])
  })
})

describe('withoutProtoKey', () => {
  it('drops an own __proto__ key without touching any prototype', () => {
    const input = JSON.parse('{"__proto__":{"x":1},"a":2}') as object
    const copy = withoutProtoKey(input) as Record<string, unknown>
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
    expect(Object.keys(copy)).toEqual(['a'])
    expect(copy['x']).toBeUndefined()
    const plain = { a: 1 }
    expect(withoutProtoKey(plain)).toBe(plain)
  })
})
