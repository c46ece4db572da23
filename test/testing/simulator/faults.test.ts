import { describe, expect, it } from 'vitest'
import { FaultInjector, type FaultPlan } from '../../../src/testing/simulator/faults.js'

const draw = (seed: number, plan: FaultPlan, n: number) => {
  const f = new FaultInjector(seed)
  f.set(plan)
  return Array.from({ length: n }, () => f.next())
}

describe('FaultInjector', () => {
  it('plays the script first, then draws', () => {
    const out = draw(1, { script: ['reset', { status: 502 }, { delayMs: 5 }, 'hang', 'none'] }, 6)
    expect(out).toEqual([
      { kind: 'reset' },
      { kind: 'status', status: 502, delayMs: 0 },
      { kind: 'none', delayMs: 5 },
      { kind: 'hang' },
      { kind: 'none', delayMs: 0 },
      { kind: 'none', delayMs: 0 },
    ])
  })

  it('uniform and exponential latencies stay in bounds and replay for a seed', () => {
    const uniform = draw(9, { latency: { minMs: 10, maxMs: 20 } }, 200).map((d) =>
      'delayMs' in d ? d.delayMs : -1,
    )
    expect(Math.min(...uniform)).toBeGreaterThanOrEqual(10)
    expect(Math.max(...uniform)).toBeLessThan(20)
    expect(
      draw(9, { latency: { minMs: 10, maxMs: 20 } }, 200).map((d) => ('delayMs' in d ? d.delayMs : -1)),
    ).toEqual(uniform)
    const expo = draw(3, { latency: { meanMs: 10, maxMs: 40 } }, 500).map((d) =>
      'delayMs' in d ? d.delayMs : -1,
    )
    expect(Math.max(...expo)).toBeLessThanOrEqual(40)
    const mean = expo.reduce((a, b) => a + b, 0) / expo.length
    expect(mean).toBeGreaterThan(7)
    expect(mean).toBeLessThan(11)
  })

  it('rates: resets and hangs at about their rate, errors from errorStatuses only', () => {
    const out = draw(5, { resetRate: 0.1, hangRate: 0.1, errorRate: 0.2, errorStatuses: [504] }, 2000)
    const count = (k: string) => out.filter((d) => d.kind === k).length
    expect(count('reset')).toBeGreaterThan(140)
    expect(count('reset')).toBeLessThan(260)
    expect(count('hang')).toBeGreaterThan(120)
    expect(count('status')).toBeGreaterThan(200)
    expect(new Set(out.flatMap((d) => (d.kind === 'status' ? [d.status] : [])))).toEqual(new Set([504]))
  })
})
