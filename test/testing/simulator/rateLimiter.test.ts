import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { maxInWindow, TokenRateLimiter, windowCounts } from '../../../src/testing/simulator/rateLimiter.js'

const settings = { max: 5, intervalMs: 10_000, daily: null, count429: false, utcOffsetMinutes: 0 }
const times = fc
  .array(fc.integer({ min: 0, max: 60_000 }), { maxLength: 80 })
  .map((xs) => xs.sort((a, b) => a - b))

describe('TokenRateLimiter', () => {
  it('never lets more than max requests into any window', () => {
    fc.assert(
      fc.property(times, (ts) => {
        const limiter = new TokenRateLimiter(settings)
        const allowed = ts.filter((t) => limiter.take(t).allowed)
        expect(maxInWindow(allowed, settings.intervalMs)).toBeLessThanOrEqual(settings.max)
      }),
    )
  })

  it('refuses only when the window is full (429s do not count)', () => {
    fc.assert(
      fc.property(times, (ts) => {
        const limiter = new TokenRateLimiter(settings)
        const allowed: number[] = []
        for (const t of ts) {
          const inWindow = allowed.filter((a) => a > t - settings.intervalMs).length
          const d = limiter.take(t)
          expect(d.allowed).toBe(inWindow < settings.max)
          if (d.allowed) allowed.push(t)
        }
      }),
    )
  })
})

describe('windowCounts', () => {
  it('agrees with a brute-force count of the window ending at each arrival', () => {
    fc.assert(
      fc.property(times, (ts) => {
        expect(windowCounts(ts, 10_000)).toEqual(
          ts.map((t, i) => ts.slice(0, i + 1).filter((a) => a > t - 10_000).length),
        )
      }),
    )
  })
})
