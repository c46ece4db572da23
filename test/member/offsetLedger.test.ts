import { describe, expect, it } from 'vitest'
import { OffsetLedger } from '../../src/member/offsetLedger.js'

const commitAll = (ledger: OffsetLedger) => {
  const list = ledger.committable()
  ledger.markCommitted(list)
  return list
}

describe('OffsetLedger', () => {
  it('offers nothing before anything is tracked or finished', () => {
    const ledger = new OffsetLedger()
    expect(ledger.committable()).toEqual([])
    ledger.admit('t', 0, '5')
    ledger.admit('t', 0, '6')
    expect(ledger.committable()).toEqual([])
    expect(ledger.inFlight).toBe(2)
    expect(ledger.safeOffset('t', 0)).toBe('5')
  })

  it('commits up to the lowest unfinished offset, whatever order completions arrive in', () => {
    const ledger = new OffsetLedger()
    for (const offset of ['10', '11', '12', '13']) ledger.admit('scans', 3, offset)
    ledger.complete('scans', 3, '12')
    ledger.complete('scans', 3, '11')
    // Still at 10, which is unfinished; what is done above it goes along as completion marks (11 and 12).
    expect(ledger.committable()).toEqual([{ topic: 'scans', partition: 3, offset: '10', metadata: 'as1:Aw' }])
    ledger.complete('scans', 3, '10')
    expect(ledger.committable()).toEqual([{ topic: 'scans', partition: 3, offset: '13' }])
    expect(ledger.unfinished('scans', 3)).toBe(1)
    ledger.complete('scans', 3, '13')
    expect(ledger.committable()).toEqual([{ topic: 'scans', partition: 3, offset: '14' }])
    expect(ledger.inFlight).toBe(0)
  })

  it('stops offering a partition once marked committed, until its safe point moves again', () => {
    const ledger = new OffsetLedger()
    ledger.admit('t', 0, '0')
    ledger.admit('t', 1, '7')
    ledger.complete('t', 0, '0')
    ledger.complete('t', 1, '7')
    expect(commitAll(ledger)).toEqual([
      { topic: 't', partition: 0, offset: '1' },
      { topic: 't', partition: 1, offset: '8' },
    ])
    expect(ledger.committable()).toEqual([])
    ledger.admit('t', 1, '8')
    ledger.complete('t', 1, '8')
    expect(ledger.committable()).toEqual([{ topic: 't', partition: 1, offset: '9' }])
  })

  it('skips gaps: the offset after a gap is the highest tracked + 1', () => {
    const ledger = new OffsetLedger()
    ledger.admit('compacted', 0, '3')
    ledger.admit('compacted', 0, '40')
    ledger.admit('compacted', 0, '41')
    ledger.complete('compacted', 0, '41')
    ledger.complete('compacted', 0, '3')
    expect(ledger.committable()).toEqual([
      { topic: 'compacted', partition: 0, offset: '40', metadata: 'as1:AQ' },
    ])
    ledger.complete('compacted', 0, '40')
    expect(ledger.committable()).toEqual([{ topic: 'compacted', partition: 0, offset: '42' }])
  })

  it('handles offsets beyond 2^53', () => {
    const ledger = new OffsetLedger()
    ledger.admit('t', 0, '9007199254740993')
    ledger.complete('t', 0, '9007199254740993')
    expect(ledger.committable()).toEqual([{ topic: 't', partition: 0, offset: '9007199254740994' }])
  })

  it('turns away refetched offsets, and throws on a double complete or a complete of an unknown offset', () => {
    const ledger = new OffsetLedger()
    const lease = ledger.admit('t', 0, '5')
    expect(ledger.admit('t', 0, '8')).toBe(lease)
    expect(ledger.admit('t', 0, '8')).toBeUndefined()
    expect(ledger.admit('t', 0, '2')).toBeUndefined()
    expect(ledger.inFlight).toBe(2)
    expect(() => ledger.complete('t', 0, '6')).toThrow(
      'complete(t/0@6): offset is not admitted or was already completed',
    )
    ledger.complete('t', 0, '8')
    expect(() => ledger.complete('t', 0, '8')).toThrow(RangeError)
    expect(ledger.admit('t', 0, '8')).toBeUndefined() // done, not yet committed: still turned away
    ledger.complete('t', 0, '5')
    expect(() => ledger.complete('t', 0, '5')).toThrow(RangeError)
    expect(ledger.inFlight).toBe(0)
    expect(ledger.admit('t', 0, '9')).toBe(lease)
  })

  it('rejects offsets that are not int64 strings', () => {
    const ledger = new OffsetLedger()
    expect(() => ledger.admit('t', 0, '-1')).toThrow('offset must be a non-negative integer string, got "-1"')
    expect(() => ledger.admit('t', 0, '1.5')).toThrow(TypeError)
    expect(() => ledger.admit('t', 0, '007')).toThrow(TypeError)
  })

  it('gives a revoked partition up: its lease is revoked, no commits for it, late completions return false', () => {
    const ledger = new OffsetLedger()
    const lease = ledger.admit('t', 0, '1')
    ledger.admit('t', 0, '2')
    ledger.admit('t', 1, '1')
    ledger.complete('t', 0, '1', lease)
    expect(ledger.revoke('t', 0)).toBe(1)
    expect(lease?.revoked).toBe(true)
    expect(ledger.inFlight).toBe(1)
    expect(ledger.committable()).toEqual([])
    expect(ledger.complete('t', 0, '2', lease)).toBe(false)
    expect(ledger.unfinished('t', 0)).toBe(0)
    expect(ledger.partitions()).toEqual([{ topic: 't', partition: 1 }])
    expect(ledger.revoke('t', 0)).toBe(0)
  })

  it('holds a partition it gets again under a new lease, and refuses completions under the old one', () => {
    const ledger = new OffsetLedger()
    const before = ledger.admit('t', 0, '10')
    ledger.revoke('t', 0)
    // Re-assigned: fetched again from the committed offset, so offset 10 is new work here.
    const after = ledger.admit('t', 0, '10')
    expect(after).not.toBe(before)
    expect(after?.revoked).toBe(false)
    expect(ledger.complete('t', 0, '10', before)).toBe(false)
    expect(ledger.unfinished('t', 0)).toBe(1)
    expect(ledger.committable()).toEqual([])
    expect(() => ledger.complete('t', 0, '10', { revoked: false })).toThrow('not held under this lease')
    expect(ledger.complete('t', 0, '10', after)).toBe(true)
    expect(ledger.committable()).toEqual([{ topic: 't', partition: 0, offset: '11' }])
  })

  it('commits the completion marks of what is done above the safe point, and again when they grow', () => {
    const ledger = new OffsetLedger()
    for (const offset of ['10', '11', '12', '13']) ledger.admit('t', 0, offset)
    ledger.complete('t', 0, '12')
    const first = ledger.committable()
    expect(first).toEqual([{ topic: 't', partition: 0, offset: '10', metadata: 'as1:Ag' }])
    ledger.markCommitted(first)
    expect(ledger.committable()).toEqual([]) // nothing new
    ledger.complete('t', 0, '13')
    expect(ledger.committable()).toEqual([{ topic: 't', partition: 0, offset: '10', metadata: 'as1:Bg' }])
  })

  it('admits what a previous holder marked as done as finished, never as work', () => {
    const ledger = new OffsetLedger()
    ledger.expectDone('t', 0, { topic: 't', partition: 0, offset: '10', metadata: 'as1:Bg' }) // 12 and 13 done
    expect(ledger.admitIfDone('t', 0, '10')).toBe(false)
    expect(ledger.admit('t', 0, '10')).toBeDefined()
    expect(ledger.admitIfDone('t', 0, '11')).toBe(false)
    ledger.admit('t', 0, '11')
    expect(ledger.admitIfDone('t', 0, '12')).toBe(true)
    expect(ledger.admitIfDone('t', 0, '13')).toBe(true)
    expect(ledger.inFlight).toBe(2)
    ledger.complete('t', 0, '10')
    ledger.complete('t', 0, '11')
    expect(ledger.committable()).toEqual([{ topic: 't', partition: 0, offset: '14' }])
    expect(ledger.admitIfDone('t', 0, '12')).toBe(false) // marks are used once
  })

  it('reports partitions whose safe point has not moved since a given time', () => {
    const ledger = new OffsetLedger()
    ledger.admit('t', 0, '1', 100)
    ledger.admit('t', 0, '2', 150)
    ledger.admit('t', 1, '1', 300)
    expect(ledger.stalledSince(200)).toEqual([{ topic: 't', partition: 0, offset: '1', since: 100 }])
    ledger.complete('t', 0, '1', undefined, 400)
    expect(ledger.stalledSince(200)).toEqual([])
    ledger.complete('t', 0, '2', undefined, 450)
    ledger.complete('t', 1, '1', undefined, 450)
    expect(ledger.stalledSince(10_000)).toEqual([]) // nothing unfinished is never a stall
  })

  it('markCommitted ignores unknown partitions and never moves a mark backwards', () => {
    const ledger = new OffsetLedger()
    ledger.admit('t', 0, '1')
    ledger.admit('t', 0, '2')
    ledger.complete('t', 0, '1')
    ledger.complete('t', 0, '2')
    ledger.markCommitted([
      { topic: 't', partition: 0, offset: '3' },
      { topic: 'other', partition: 9, offset: '100' },
    ])
    ledger.markCommitted([{ topic: 't', partition: 0, offset: '2' }])
    expect(ledger.committable()).toEqual([])
    expect(ledger.partitions()).toEqual([{ topic: 't', partition: 0 }])
  })

  it('stays correct over long runs behind a stuck record and in a sliding window', () => {
    const ledger = new OffsetLedger()
    const n = 200_000
    // One stuck record at the front holds the safe point; everything after it completes.
    ledger.admit('t', 0, '0')
    for (let i = 1; i < n; i++) {
      ledger.admit('t', 0, String(i))
      ledger.complete('t', 0, String(i))
    }
    // Stuck at 0; the marks say what is done above it, as far as they reach.
    const stuck = ledger.committable()
    expect(stuck.map((c) => c.offset)).toEqual(['0'])
    expect(stuck[0]?.metadata?.length).toBeLessThan(4_096)
    ledger.complete('t', 0, '0')
    expect(ledger.committable()).toEqual([{ topic: 't', partition: 0, offset: String(n) }])
    // A steady stream where completions follow tracks: the queue is emptied, not grown.
    for (let i = n; i < 2 * n; i++) {
      ledger.admit('t', 0, String(i))
      if (i - n >= 10) ledger.complete('t', 0, String(i - 10))
    }
    expect(ledger.unfinished('t', 0)).toBe(10)
    expect(ledger.safeOffset('t', 0)).toBe(String(2 * n - 10))
  })
})
