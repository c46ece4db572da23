import { isLeft } from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { resolvePipelineConfig } from '../../src/config/pipelineConfig.js'
import { nextMidnightIn } from '../../src/sinks/rollingWindowBudget.js'

const at = (iso: string) => Date.parse(iso)
const iso = (ms: number) => new Date(ms).toISOString()

describe('nextMidnightIn', () => {
  it('finds the next midnight of the account time zone, whatever the machine runs in', () => {
    expect(iso(nextMidnightIn('UTC')(at('2026-11-29T09:14:03.120Z')))).toBe('2026-11-30T00:00:00.000Z')
    expect(iso(nextMidnightIn('UTC')(at('2026-11-30T00:00:00.000Z')))).toBe('2026-12-01T00:00:00.000Z')
    // 04:14 in New York (UTC-5): its midnight is 05:00 UTC.
    expect(iso(nextMidnightIn('America/New_York')(at('2026-11-29T09:14:00Z')))).toBe(
      '2026-11-30T05:00:00.000Z',
    )
    // 01:30 on the 30th in Kolkata (UTC+5:30): the next midnight is the end of the 30th there.
    expect(iso(nextMidnightIn('Asia/Kolkata')(at('2026-11-29T20:00:00Z')))).toBe('2026-11-30T18:30:00.000Z')
  })

  it('gets daylight-saving days of 23 and 25 hours right', () => {
    const newYork = nextMidnightIn('America/New_York')
    // 2026-03-08 springs forward at 02:00: the day before ends at 05:00 UTC, that day ends at 04:00 UTC.
    expect(iso(newYork(at('2026-03-07T15:00:00Z')))).toBe('2026-03-08T05:00:00.000Z')
    expect(iso(newYork(at('2026-03-08T12:00:00Z')))).toBe('2026-03-09T04:00:00.000Z')
    // 2026-11-01 falls back at 02:00: that day ends at 05:00 UTC.
    expect(iso(newYork(at('2026-11-01T04:30:00Z')))).toBe('2026-11-02T05:00:00.000Z')
    expect(iso(newYork(at('2026-11-01T12:00:00Z')))).toBe('2026-11-02T05:00:00.000Z')
  })
})

describe('hubspot.accounts.<name>.timeZone', () => {
  const config = (timeZone: unknown) => ({
    kafka: { brokers: ['k:9092'], groupId: 'g', inputTopics: ['in'], resultsTopic: 'r', errorsTopic: 'e' },
    hubspot: { accounts: { default: { token: 'pat-x', timeZone } } },
  })

  it('accepts an IANA time zone and rejects anything else, naming the field', () => {
    const good = resolvePipelineConfig(config('Europe/Berlin'))
    expect(isLeft(good) ? good.left : good.right.hubspot.accounts['default']?.timeZone).toBe('Europe/Berlin')
    const bad = resolvePipelineConfig(config('Mars/Olympus_Mons'))
    expect(isLeft(bad) ? bad.left : []).toEqual([
      'hubspot.accounts.default.timeZone: expected an IANA time zone such as "America/New_York", got a string of 17 characters',
    ])
  })
})
