import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeCompletionMarks,
  encodeCompletionMarks,
  MAX_MARK_BYTES,
} from '../../src/member/completionMarks.js'

describe('completion marks', () => {
  it('say exactly which offsets above the committed one are done', () => {
    const metadata = encodeCompletionMarks(100n, [101n, 103n, 108n, 116n])
    expect(metadata).toBe('as1:hYA')
    expect(metadata).toBeDefined()
    expect([...decodeCompletionMarks(100n, metadata)].sort()).toEqual([101n, 103n, 108n, 116n])
  })

  it('say nothing when nothing above is done, and read nothing from foreign or missing metadata', () => {
    expect(encodeCompletionMarks(5n, [])).toBeUndefined()
    expect(encodeCompletionMarks(5n, [3n, 5n])).toBeUndefined() // at or below the committed offset: not marks
    expect(decodeCompletionMarks(5n, null).size).toBe(0)
    expect(decodeCompletionMarks(5n, '')).toEqual(new Set())
    expect(decodeCompletionMarks(5n, 'checkpoint-7')).toEqual(new Set())
  })

  it('fit the broker metadata limit, dropping only marks beyond their window', () => {
    const far = 100n + BigInt(MAX_MARK_BYTES * 8) + 1n
    const metadata = encodeCompletionMarks(100n, [101n, far - 1n, far, far + 5n]) as string
    expect(metadata.length).toBeLessThan(4_096)
    expect([...decodeCompletionMarks(100n, metadata)]).toEqual([101n, far - 1n])
  })

  it('round-trip any set of done offsets inside the window', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 62n }),
        fc.uniqueArray(fc.integer({ min: 1, max: MAX_MARK_BYTES * 8 }), { maxLength: 300 }),
        (committed, bits) => {
          const done = bits.map((b) => committed + BigInt(b))
          expect(decodeCompletionMarks(committed, encodeCompletionMarks(committed, done))).toEqual(
            new Set(done),
          )
        },
      ),
    )
  })
})
