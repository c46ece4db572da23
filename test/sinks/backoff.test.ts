import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { backoffCeiling, backoffDelay } from '../../src/sinks/backoff.js'

const options = { baseDelayMs: 100, maxDelayMs: 5_000 }

describe('backoffDelay', () => {
  it('doubles the ceiling per attempt up to maxDelayMs', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 60].map((a) => backoffCeiling(a, options))).toEqual([
      100, 200, 400, 800, 1600, 3200, 5000, 5000,
    ])
  })

  it('is the ceiling scaled by the injected random number (full jitter)', () => {
    expect(backoffDelay(3, options, () => 0)).toBe(0)
    expect(backoffDelay(3, options, () => 0.5)).toBe(200)
    expect(backoffDelay(3, options, () => 0.999999)).toBe(399)
  })

  it('always lies in [0, ceiling)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (a, r) => {
          const d = backoffDelay(a, options, () => r)
          return Number.isInteger(d) && d >= 0 && d < Math.max(1, backoffCeiling(a, options))
        },
      ),
    )
  })
})
