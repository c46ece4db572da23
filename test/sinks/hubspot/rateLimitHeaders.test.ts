import { describe, expect, it } from 'vitest'
import { parseRetryAfterMs, readRateLimitHeaders } from '../../../src/sinks/hubspot/rateLimitHeaders.js'

describe('readRateLimitHeaders', () => {
  it('reads every X-HubSpot-RateLimit header and Retry-After seconds', () => {
    expect(
      readRateLimitHeaders({
        'x-hubspot-ratelimit-max': '190',
        'x-hubspot-ratelimit-remaining': '0',
        'x-hubspot-ratelimit-interval-milliseconds': '10000',
        'x-hubspot-ratelimit-daily': '650000',
        'x-hubspot-ratelimit-daily-remaining': '12',
        'retry-after': '3',
      }),
    ).toEqual({
      max: 190,
      remaining: 0,
      intervalMs: 10000,
      daily: 650000,
      dailyRemaining: 12,
      retryAfterMs: 3000,
    })
  })

  it('leaves out absent and non-numeric headers', () => {
    expect(
      readRateLimitHeaders({ 'x-hubspot-ratelimit-max': 'lots', 'x-hubspot-ratelimit-remaining': '' }),
    ).toEqual({})
  })
})

describe('parseRetryAfterMs', () => {
  it('accepts an HTTP date, never negative', () => {
    const now = Date.UTC(2026, 10, 29, 12, 0, 0)
    expect(parseRetryAfterMs('Sun, 29 Nov 2026 12:00:05 GMT', now)).toBe(5000)
    expect(parseRetryAfterMs('Sun, 29 Nov 2026 11:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfterMs('soon', now)).toBeUndefined()
  })
})
