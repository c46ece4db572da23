import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { OffsetLedger } from '../../src/member/offsetLedger.js'
import type { Lease } from '../../src/member/sourceRecord.js'

/**
 * A model of one consumer: per partition the offsets it will fetch (increasing, with gaps), and an arbitrary
 * interleaving of fetches, completions, commits and revocations. The invariant checked after every step:
 * an offset handed out by `committable` never passes a record that is admitted and unfinished.
 */

const PARTITIONS = 3

type Step =
  | { readonly kind: 'track'; readonly partition: number }
  | { readonly kind: 'complete'; readonly partition: number; readonly pick: number }
  | { readonly kind: 'commit' }
  | { readonly kind: 'revoke'; readonly partition: number }

const partitionArb = fc.integer({ min: 0, max: PARTITIONS - 1 })
const stepArb = (withRevoke: boolean): fc.Arbitrary<Step> =>
  fc.oneof(
    { weight: 4, arbitrary: partitionArb.map((partition) => ({ kind: 'track' as const, partition })) },
    {
      weight: 4,
      arbitrary: fc
        .record({ partition: partitionArb, pick: fc.nat() })
        .map((s) => ({ kind: 'complete' as const, ...s })),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'commit' as const }) },
    {
      weight: withRevoke ? 1 : 0,
      arbitrary: partitionArb.map((partition) => ({ kind: 'revoke' as const, partition })),
    },
  )

/** Per partition, the offsets a fetcher will see: increasing, gaps of 1 to 5 (compaction, markers). */
const offsetsArb = fc.array(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 60 }), {
  minLength: PARTITIONS,
  maxLength: PARTITIONS,
})

interface ModelPartition {
  next: number
  readonly gaps: readonly number[]
  position: bigint
  readonly unfinished: bigint[]
  tracked: bigint[]
  lease?: Lease
}

const run = (gapsByPartition: readonly (readonly number[])[], steps: readonly Step[]) => {
  const ledger = new OffsetLedger()
  const model: ModelPartition[] = gapsByPartition.map((gaps) => ({
    next: 0,
    gaps,
    position: 0n,
    unfinished: [],
    tracked: [],
  }))
  const lastCommit = new Map<number, bigint>()

  const assertSafe = () => {
    for (const { topic, partition, offset } of ledger.committable()) {
      expect(topic).toBe('t')
      const m = model[partition] as ModelPartition
      const committed = BigInt(offset)
      for (const u of m.unfinished) expect(u >= committed).toBe(true)
      // Never beyond what was fetched.
      expect(m.tracked.length > 0 && committed <= (m.tracked.at(-1) as bigint) + 1n).toBe(true)
    }
    const unfinished = model.reduce((n, m) => n + m.unfinished.length, 0)
    expect(ledger.inFlight).toBe(unfinished)
    model.forEach((m, p) => {
      expect(ledger.unfinished('t', p)).toBe(m.unfinished.length)
    })
  }

  for (const step of steps) {
    if (step.kind === 'track') {
      const m = model[step.partition] as ModelPartition
      const gap = m.gaps[m.next]
      if (gap === undefined) continue
      m.next++
      m.position += BigInt(gap)
      const lease = ledger.admit('t', step.partition, String(m.position))
      expect(lease).toBeDefined()
      m.lease = lease
      // Refetching anything admitted before is turned away.
      expect(ledger.admit('t', step.partition, String(m.position))).toBeUndefined()
      m.unfinished.push(m.position)
      m.tracked.push(m.position)
    } else if (step.kind === 'complete') {
      const m = model[step.partition] as ModelPartition
      if (m.unfinished.length === 0) continue
      const [offset] = m.unfinished.splice(step.pick % m.unfinished.length, 1) as [bigint]
      expect(ledger.complete('t', step.partition, String(offset), m.lease)).toBe(true)
    } else if (step.kind === 'commit') {
      const list = ledger.committable()
      for (const { partition, offset } of list) {
        const previous = lastCommit.get(partition)
        // Never backwards; the same offset again only with new completion marks.
        if (previous !== undefined) expect(BigInt(offset) >= previous).toBe(true)
        lastCommit.set(partition, BigInt(offset))
      }
      ledger.markCommitted(list)
    } else {
      const m = model[step.partition] as ModelPartition
      ledger.revoke('t', step.partition)
      expect(ledger.committable().some((c) => c.partition === step.partition)).toBe(false)
      // The in-flight work is abandoned; its completions must be ignored from now on.
      for (const offset of m.unfinished)
        expect(ledger.complete('t', step.partition, String(offset), m.lease)).toBe(false)
      m.unfinished.length = 0
      m.tracked = []
      m.lease = undefined
      lastCommit.delete(step.partition)
    }
    assertSafe()
  }
  return { ledger, model }
}

describe('OffsetLedger properties', () => {
  it('no interleaving of completions and commits lets a commit pass an unfinished record', () => {
    fc.assert(
      fc.property(offsetsArb, fc.array(stepArb(false), { maxLength: 300 }), (gaps, steps) => {
        run(gaps, steps)
      }),
      { numRuns: 300 },
    )
  })

  it('after everything completes, each partition commits its highest tracked offset + 1', () => {
    fc.assert(
      fc.property(offsetsArb, fc.array(stepArb(false), { maxLength: 300 }), (gaps, steps) => {
        const { ledger, model } = run(gaps, steps)
        model.forEach((m, partition) => {
          for (const offset of [...m.unfinished]) ledger.complete('t', partition, String(offset))
          m.unfinished.length = 0
        })
        expect(ledger.inFlight).toBe(0)
        model.forEach((m, partition) => {
          const last = m.tracked.at(-1)
          expect(ledger.safeOffset('t', partition)).toBe(last === undefined ? undefined : String(last + 1n))
        })
      }),
      { numRuns: 300 },
    )
  })

  it('revocations in any interleaving keep commits safe and in-flight counts exact', () => {
    fc.assert(
      fc.property(offsetsArb, fc.array(stepArb(true), { maxLength: 300 }), (gaps, steps) => {
        run(gaps, steps)
      }),
      { numRuns: 300 },
    )
  })
})
