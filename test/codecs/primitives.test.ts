import type * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import { reportErrors } from '../../src/codecs/decodeReporter.js'
import {
  boundedString,
  EmailAddress,
  parseIsoTimestamp,
  Timestamp,
  toOneLine,
  Vid,
} from '../../src/codecs/primitives.js'

const problems = (codec: t.Decoder<unknown, unknown>, u: unknown) => {
  const r = codec.decode(u)
  return r._tag === 'Left' ? reportErrors(r.left) : []
}

describe('parseIsoTimestamp', () => {
  it.each([
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2024-02-29t00:00:00z', Date.UTC(2024, 1, 29)],
    ['2025-06-01T02:00:00+02:00', Date.UTC(2025, 5, 1)],
    ['2025-05-31T22:30:00-01:30', Date.UTC(2025, 5, 1)],
    ['2025-06-01T00:00:00.123456789Z', Date.UTC(2025, 5, 1) + 123],
    ['2025-06-01T00:00:00.5Z', Date.UTC(2025, 5, 1) + 500],
    ['0099-01-01T00:00:00Z', -59042995200000],
  ])('%s is %d', (text, ms) => {
    expect(parseIsoTimestamp(text)).toEqual({ ms })
  })

  it.each([
    ['2025-02-29T00:00:00Z', 'no such date'],
    ['2025-04-31T00:00:00Z', 'no such date'],
    ['2025-13-01T00:00:00Z', 'no such date'],
    ['2025-06-01T24:00:00Z', 'no such time of day'],
    ['2025-06-01T23:59:60Z', 'no such time of day'],
    ['2025-06-01T00:00:00+24:00', 'no such UTC offset'],
    ['2025-06-01T00:00:00', 'no UTC offset: add Z or ±hh:mm'],
    ['2025-06-01', 'a date without a time'],
    ['2025-06-01 00:00:00Z', 'not ISO-8601'],
    ['2025-06-01T00:00Z', 'not ISO-8601'],
    ['2025-06-01T00:00:00+0200', 'not ISO-8601'],
    ['2025-06-01T00:00:00.1234567890Z', 'not ISO-8601'],
  ])('%s is refused: %s', (text, problem) => {
    expect(parseIsoTimestamp(text)).toEqual({ problem })
  })
})

describe('Timestamp', () => {
  it('decodes integer epoch ms as is, and encodes to epoch ms', () => {
    expect(Timestamp.decode(1764407643120)).toEqual({ _tag: 'Right', right: 1764407643120 })
    expect(Timestamp.encode(1764407643120)).toBe(1764407643120)
  })
  it('names what it expected and why it refused', () => {
    expect(problems(Timestamp, 1.5)).toEqual([
      'expected an ISO-8601 timestamp with offset or integer epoch milliseconds, got 1.5 (not an integer)',
    ])
    expect(problems(Timestamp, null)).toEqual([
      'expected an ISO-8601 timestamp with offset or integer epoch milliseconds, got null',
    ])
  })
})

describe('Vid', () => {
  it('accepts 1 … 2^53-1 only', () => {
    expect(problems(Vid, 1)).toEqual([])
    expect(problems(Vid, Number.MAX_SAFE_INTEGER)).toEqual([])
    expect(problems(Vid, -4)).toEqual(['expected a positive integer, got -4'])
    expect(problems(Vid, 2 ** 53)).toEqual([
      'expected a positive integer, got 9007199254740992 (above 2^53-1)',
    ])
    expect(problems(Vid, Number.POSITIVE_INFINITY)).toEqual(['expected a positive integer, got Infinity'])
    expect(problems(Vid, Number.NaN)).toEqual(['expected a positive integer, got NaN'])
  })
})

describe('EmailAddress', () => {
  it.each([
    'ada@example.com',
    "o'brien+tag@mail.example.co.uk",
    `${'a'.repeat(64)}@${'b'.repeat(63)}.com`,
  ])('accepts %s', (email) => expect(problems(EmailAddress, email)).toEqual([]))
  it.each([
    ['ada @example.com', 'contains whitespace'],
    ['ada@example.com\n', 'contains whitespace'],
    ['ada', 'no @'],
    ['ada@example', 'not of the form local@domain.tld'],
    ['@example.com', 'not of the form local@domain.tld'],
    ['ada@-example.com', 'not of the form local@domain.tld'],
    [`${'a'.repeat(65)}@example.com`, 'part before @ longer than 64 characters'],
    [`a@${'b'.repeat(250)}.com`, 'longer than 254 characters'],
  ])('refuses %j: %s', (email, hint) => {
    expect(problems(EmailAddress, email)[0]).toMatch(new RegExp(`\\(${hint}\\)$`))
  })
})

describe('boundedString', () => {
  const Id = boundedString(1, 3)
  it('counts code points, not UTF-16 units', () => {
    expect(problems(Id, '😀😀😀')).toEqual([])
    expect(problems(Id, '😀😀😀😀')).toEqual([
      'expected a string of 1 to 3 characters, got "😀😀😀😀" (too long)',
    ])
  })
  it('refuses unpaired surrogates, which UTF-8 cannot carry', () => {
    expect(problems(Id, 'a\ud800')).toEqual([
      'expected a string of 1 to 3 characters, got "a\\ud800" (contains an unpaired surrogate)',
    ])
  })
})

describe('toOneLine', () => {
  it('escapes line breaks and control characters', () => {
    expect(toOneLine('a\nb\r\u0000\u2028c')).toBe('a\\u000ab\\u000d\\u0000\\u2028c')
  })
})
