import { describe, expect, it } from 'vitest'
import { killSchedule } from './support/killSchedule.js'

const options = { windowMs: 15_000, minGapMs: 2_000, maxGapMs: 4_000, members: 3 }

describe('killSchedule', () => {
  it('is the same plan for the same seed, and another for another seed', () => {
    expect(killSchedule(42, options)).toEqual(killSchedule(42, options))
    expect(killSchedule(42, options)).not.toEqual(killSchedule(43, options))
  })

  it('kills every 2–4 s, only within the window, members of the group only', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const plan = killSchedule(seed, options)
      // 15 s at one kill per at most 4 s: at least 3 kills; at least 2 s apart: at most 7.
      expect(plan.length).toBeGreaterThanOrEqual(3)
      expect(plan.length).toBeLessThanOrEqual(7)
      let at = 0
      for (const { afterMs, member } of plan) {
        expect(afterMs).toBeGreaterThanOrEqual(2_000)
        expect(afterMs).toBeLessThanOrEqual(4_000)
        expect([0, 1, 2]).toContain(member)
        at += afterMs
      }
      expect(at).toBeLessThanOrEqual(15_000)
    }
  })

  it('kills each member somewhere across seeds (the draw is not stuck on one)', () => {
    const killed = new Set(
      Array.from({ length: 20 }, (_, seed) => killSchedule(seed, options).map((k) => k.member)).flat(),
    )
    expect([...killed].sort()).toEqual([0, 1, 2])
  })
})
