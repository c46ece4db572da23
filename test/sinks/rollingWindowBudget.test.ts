import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { nextLocalMidnight, RollingWindowBudget } from '../../src/sinks/rollingWindowBudget.js'

const sendAll = (budget: RollingWindowBudget, at: number, n: number): void => {
  for (let i = 0; i < n; i += 1) {
    expect(budget.check(at)).toEqual({ _tag: 'Go' })
    budget.take(at)
    budget.finish(at)
  }
}

describe('RollingWindowBudget', () => {
  it('lets requestsPerWindow × share requests through, then waits until the oldest leaves the window', () => {
    const budget = new RollingWindowBudget({ requestsPerWindow: 90, share: 1 / 3 })
    expect(budget.capacity).toBe(30)
    sendAll(budget, 1_000, 10)
    sendAll(budget, 4_000, 20)
    expect(budget.check(4_000)).toEqual({ _tag: 'Wait', until: 11_000, reason: 'window' })
    expect(budget.check(10_999)._tag).toBe('Wait')
    sendAll(budget, 11_000, 10)
    expect(budget.check(11_000)).toEqual({ _tag: 'Wait', until: 14_000, reason: 'window' })
    expect(budget.inUse(11_000)).toBe(30)
  })

  it('never lets more than capacity into any rolling window (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 400 }),
        fc.integer({ min: 1, max: 40 }),
        (gaps, perWindow) => {
          const budget = new RollingWindowBudget({ requestsPerWindow: perWindow, windowMs: 1_000 })
          const sent: number[] = []
          let now = 0
          for (const gap of gaps) {
            now += gap
            const wait = budget.check(now)
            if (wait._tag === 'Wait') now = wait.until
            expect(budget.check(now)).toEqual({ _tag: 'Go' })
            budget.take(now)
            budget.finish(now)
            sent.push(now)
          }
          return sent.every((t) => sent.filter((u) => u > t - 1_000 && u <= t).length <= perWindow)
        },
      ),
    )
  })

  it('follows a share that changes at runtime and never drops below one request', () => {
    const budget = new RollingWindowBudget({ requestsPerWindow: 100 })
    budget.setShare(0.25)
    expect(budget.capacity).toBe(25)
    budget.setShare(0.001)
    expect(budget.capacity).toBe(1)
    expect(() => budget.setShare(0)).toThrow(RangeError)
    expect(() => budget.setShare(1.5)).toThrow(RangeError)
  })

  it('holds a slot from the send until a window after the answer, so latency cannot squeeze two into one HubSpot window', () => {
    const budget = new RollingWindowBudget({ requestsPerWindow: 2, windowMs: 1_000 })
    budget.take(0)
    budget.take(0)
    expect(budget.check(500)).toEqual({ _tag: 'Wait', until: Number.POSITIVE_INFINITY, reason: 'window' })
    budget.finish(300)
    expect(budget.check(500)).toEqual({ _tag: 'Wait', until: 1_300, reason: 'window' })
    budget.finish(700)
    expect(budget.check(1_300)).toEqual({ _tag: 'Go' })
    expect(budget.inUse(1_300)).toBe(1)
  })

  it('never lets HubSpot see more than capacity in a window, whatever the latencies (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 2_000 })), {
          maxLength: 300,
        }),
        fc.integer({ min: 1, max: 20 }),
        (requests, perWindow) => {
          // One request at a time keeps the simulation simple; arrival is anywhere between send and answer.
          const budget = new RollingWindowBudget({ requestsPerWindow: perWindow, windowMs: 1_000 })
          const arrivals: number[] = []
          let now = 0
          for (const [gap, latency] of requests) {
            now += gap
            const wait = budget.check(now)
            if (wait._tag === 'Wait') now = wait.until
            budget.take(now)
            arrivals.push(now + ((latency * 7) % (latency + 1)))
            now += latency
            budget.finish(now)
          }
          const sorted = [...arrivals].sort((a, b) => a - b)
          return sorted.every((t) => sorted.filter((u) => u > t - 1_000 && u <= t).length <= perWindow)
        },
      ),
    )
  })

  it('blocks the account until a 429 window or Retry-After has passed', () => {
    const budget = new RollingWindowBudget({ requestsPerWindow: 90 })
    budget.blockUntil(5_000)
    expect(budget.check(1_000)).toEqual({ _tag: 'Wait', until: 5_000, reason: 'blocked' })
    expect(budget.check(5_000)).toEqual({ _tag: 'Go' })
  })

  it('slows down when HubSpot reports less remaining than our own count says', () => {
    const budget = new RollingWindowBudget({ requestsPerWindow: 90 })
    sendAll(budget, 0, 5)
    // We think 85 are left; HubSpot says 20 (another process shares the token); we sent 2 more after the request.
    sendAll(budget, 100, 2)
    budget.observe({ remaining: 20 }, 0, 200)
    expect(budget.inUse(200)).toBe(90 - 18)
    sendAll(budget, 200, 18)
    expect(budget.check(200)).toEqual({ _tag: 'Wait', until: 10_000, reason: 'window' })
  })

  it('ignores a HubSpot remaining that is higher than ours, and adopts a smaller HubSpot max', () => {
    const budget = new RollingWindowBudget({ requestsPerWindow: 90, share: 0.5 })
    sendAll(budget, 0, 10)
    budget.observe({ remaining: 80, max: 100, intervalMs: 10_000 }, 0, 10)
    expect(budget.inUse(10)).toBe(10)
    budget.observe({ max: 40 }, 0, 10)
    // 40 less 5 % headroom (2), times the share 0.5.
    expect(budget.capacity).toBe(19)
  })

  it("follows the account's real allowance from X-HubSpot-RateLimit-Max, less the headroom in whole requests", () => {
    const budget = new RollingWindowBudget({ requestsPerWindow: 90 })
    expect(budget.capacity).toBe(90)
    budget.observe({ max: 190 }, 0, 1)
    // 5 % of 190 is 9.5: 9 whole requests are kept back.
    expect(budget.capacity).toBe(181)
    budget.observe({ max: 250 }, 0, 2)
    expect(budget.capacity).toBe(238)
    const exact = new RollingWindowBudget({ requestsPerWindow: 90, headroom: 0 })
    exact.observe({ max: 110 }, 0, 1)
    expect(exact.capacity).toBe(110)
    const grouped = new RollingWindowBudget({ requestsPerWindow: 90, share: 1 / 3 })
    grouped.observe({ max: 190 }, 0, 1)
    expect(grouped.capacity).toBe(60)
    expect(() => new RollingWindowBudget({ requestsPerWindow: 90, headroom: 0.6 })).toThrow(RangeError)
  })

  it('keeps an explicit ceiling whatever HubSpot allows, and still adopts a smaller HubSpot max', () => {
    const budget = new RollingWindowBudget({ requestsPerWindow: 100, ceiling: 100 })
    budget.observe({ max: 190 }, 0, 1)
    expect(budget.capacity).toBe(100)
    budget.observe({ max: 100 }, 0, 2)
    expect(budget.capacity).toBe(95)
  })

  it('freeAt counts the requests check would let go before any answer', () => {
    const budget = new RollingWindowBudget({ requestsPerWindow: 10, windowMs: 1_000 })
    expect(budget.freeAt(0)).toBe(10)
    sendAll(budget, 0, 4)
    budget.take(0)
    expect(budget.freeAt(0)).toBe(5)
    expect(budget.freeAt(999)).toBe(5)
    expect(budget.freeAt(1_000)).toBe(9)
    budget.blockUntil(2_000)
    expect(budget.freeAt(1_500)).toBe(0)
  })

  it('stops at the daily cap (times share) until the injected reset time, then starts a new day', () => {
    const budget = new RollingWindowBudget({
      requestsPerWindow: 90,
      dailyLimit: 10,
      share: 0.5,
      dailyResetAt: (now) => (Math.floor(now / 100_000) + 1) * 100_000,
    })
    for (let i = 0; i < 5; i += 1) sendAll(budget, i * 11_000, 1)
    expect(budget.check(50_000)).toEqual({ _tag: 'Wait', until: 100_000, reason: 'daily' })
    expect(budget.snapshot(50_000).dailyUsed).toBe(5)
    expect(budget.check(100_000)).toEqual({ _tag: 'Go' })
    expect(budget.snapshot(100_000).dailyUsed).toBe(0)
  })

  it('blocks until the daily reset on a DAILY 429 or when HubSpot reports no daily requests left', () => {
    const reset = (now: number) => now + 3_600_000
    const budget = new RollingWindowBudget({ requestsPerWindow: 90, dailyResetAt: reset })
    expect(budget.blockDaily(1_000)).toBe(3_601_000)
    expect(budget.check(2_000)).toEqual({ _tag: 'Wait', until: 3_601_000, reason: 'daily' })
    const other = new RollingWindowBudget({ requestsPerWindow: 90, dailyResetAt: reset })
    other.observe({ dailyRemaining: 0 }, 0, 10)
    expect(other.check(10)).toEqual({ _tag: 'Wait', until: 3_600_010, reason: 'daily' })
  })

  it('computes the next local midnight', () => {
    const noon = new Date(2026, 10, 29, 12, 30).getTime()
    expect(nextLocalMidnight(noon)).toBe(new Date(2026, 10, 30, 0, 0).getTime())
    const midnight = new Date(2026, 10, 30, 0, 0).getTime()
    expect(nextLocalMidnight(midnight)).toBe(new Date(2026, 11, 1, 0, 0).getTime())
  })
})
