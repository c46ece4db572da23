import { describe, expect, it } from 'vitest'
import { OffsetTracker } from '../../src/streams/offsetTracker.js'

const commitAll = (tracker: OffsetTracker) => {
  const list = tracker.committable()
  tracker.markCommitted(list)
  return list
}

describe('OffsetTracker', () => {
  it('offers nothing before anything is tracked or finished', () => {
    const tracker = new OffsetTracker()
    expect(tracker.committable()).toEqual([])
    tracker.track('t', 0, '5')
    tracker.track('t', 0, '6')
    expect(tracker.committable()).toEqual([])
    expect(tracker.inFlight).toBe(2)
    expect(tracker.safeOffset('t', 0)).toBe('5')
  })

  it('commits up to the lowest unfinished offset, whatever order completions arrive in', () => {
    const tracker = new OffsetTracker()
    for (const offset of ['10', '11', '12', '13']) tracker.track('scans', 3, offset)
    tracker.complete('scans', 3, '12')
    tracker.complete('scans', 3, '11')
    expect(tracker.committable()).toEqual([])
    tracker.complete('scans', 3, '10')
    expect(tracker.committable()).toEqual([{ topic: 'scans', partition: 3, offset: '13' }])
    expect(tracker.unfinished('scans', 3)).toBe(1)
    tracker.complete('scans', 3, '13')
    expect(tracker.committable()).toEqual([{ topic: 'scans', partition: 3, offset: '14' }])
    expect(tracker.inFlight).toBe(0)
  })

  it('stops offering a partition once marked committed, until its safe point moves again', () => {
    const tracker = new OffsetTracker()
    tracker.track('t', 0, '0')
    tracker.track('t', 1, '7')
    tracker.complete('t', 0, '0')
    tracker.complete('t', 1, '7')
    expect(commitAll(tracker)).toEqual([
      { topic: 't', partition: 0, offset: '1' },
      { topic: 't', partition: 1, offset: '8' },
    ])
    expect(tracker.committable()).toEqual([])
    tracker.track('t', 1, '8')
    tracker.complete('t', 1, '8')
    expect(tracker.committable()).toEqual([{ topic: 't', partition: 1, offset: '9' }])
  })

  it('skips gaps: the offset after a gap is the highest tracked + 1', () => {
    const tracker = new OffsetTracker()
    tracker.track('compacted', 0, '3')
    tracker.track('compacted', 0, '40')
    tracker.track('compacted', 0, '41')
    tracker.complete('compacted', 0, '41')
    tracker.complete('compacted', 0, '3')
    expect(tracker.committable()).toEqual([{ topic: 'compacted', partition: 0, offset: '40' }])
    tracker.complete('compacted', 0, '40')
    expect(tracker.committable()).toEqual([{ topic: 'compacted', partition: 0, offset: '42' }])
  })

  it('handles offsets beyond 2^53', () => {
    const tracker = new OffsetTracker()
    tracker.track('t', 0, '9007199254740993')
    tracker.complete('t', 0, '9007199254740993')
    expect(tracker.committable()).toEqual([{ topic: 't', partition: 0, offset: '9007199254740994' }])
  })

  it('throws on a non-increasing track, a double complete and a complete of an untracked offset', () => {
    const tracker = new OffsetTracker()
    tracker.track('t', 0, '5')
    tracker.track('t', 0, '8')
    expect(() => tracker.track('t', 0, '8')).toThrow(
      'track(t/0@8): offsets must increase per partition, last tracked was 8',
    )
    expect(() => tracker.track('t', 0, '2')).toThrow(RangeError)
    expect(() => tracker.complete('t', 0, '6')).toThrow(
      'complete(t/0@6): offset is not tracked or was already completed',
    )
    tracker.complete('t', 0, '8')
    expect(() => tracker.complete('t', 0, '8')).toThrow(RangeError)
    tracker.complete('t', 0, '5')
    expect(() => tracker.complete('t', 0, '5')).toThrow(RangeError)
    expect(tracker.inFlight).toBe(0)
  })

  it('rejects offsets that are not int64 strings', () => {
    const tracker = new OffsetTracker()
    expect(() => tracker.track('t', 0, '-1')).toThrow(
      'offset must be a non-negative integer string, got "-1"',
    )
    expect(() => tracker.track('t', 0, '1.5')).toThrow(TypeError)
    expect(() => tracker.track('t', 0, '007')).toThrow(TypeError)
  })

  it('forgets a revoked partition: no commits for it, late completions return false', () => {
    const tracker = new OffsetTracker()
    tracker.track('t', 0, '1')
    tracker.track('t', 0, '2')
    tracker.track('t', 1, '1')
    tracker.complete('t', 0, '1')
    tracker.revoke('t', 0)
    expect(tracker.inFlight).toBe(1)
    expect(tracker.committable()).toEqual([])
    expect(tracker.complete('t', 0, '2')).toBe(false)
    expect(tracker.unfinished('t', 0)).toBe(0)
    expect(tracker.partitions()).toEqual([{ topic: 't', partition: 1 }])
  })

  it('revokeAllExcept keeps only the new assignment', () => {
    const tracker = new OffsetTracker()
    tracker.track('a', 0, '1')
    tracker.track('a', 1, '1')
    tracker.track('b', 0, '1')
    tracker.revokeAllExcept([{ topic: 'a', partition: 1 }])
    expect(tracker.partitions()).toEqual([{ topic: 'a', partition: 1 }])
    expect(tracker.inFlight).toBe(1)
  })

  it('ignores completions from an earlier assignment of a partition it owns again', () => {
    const tracker = new OffsetTracker()
    const before = tracker.track('t', 0, '10')
    tracker.revoke('t', 0)
    // Re-assigned: the new owner fetches again from the committed offset.
    const after = tracker.track('t', 0, '10')
    expect(after).not.toBe(before)
    expect(tracker.epochOf('t', 0)).toBe(after)
    expect(tracker.epochOf('t', 1)).toBeUndefined()
    expect(tracker.complete('t', 0, '10', before)).toBe(false)
    expect(tracker.unfinished('t', 0)).toBe(1)
    expect(tracker.committable()).toEqual([])
    expect(tracker.complete('t', 0, '10', after)).toBe(true)
    expect(tracker.committable()).toEqual([{ topic: 't', partition: 0, offset: '11' }])
  })

  it('markCommitted ignores unknown partitions and never moves a mark backwards', () => {
    const tracker = new OffsetTracker()
    tracker.track('t', 0, '1')
    tracker.track('t', 0, '2')
    tracker.complete('t', 0, '1')
    tracker.complete('t', 0, '2')
    tracker.markCommitted([
      { topic: 't', partition: 0, offset: '3' },
      { topic: 'other', partition: 9, offset: '100' },
    ])
    tracker.markCommitted([{ topic: 't', partition: 0, offset: '2' }])
    expect(tracker.committable()).toEqual([])
    expect(tracker.partitions()).toEqual([{ topic: 't', partition: 0 }])
  })

  it('stays correct over long runs behind a stuck record and in a sliding window', () => {
    const tracker = new OffsetTracker()
    const n = 200_000
    // One stuck record at the front holds the safe point; everything after it completes.
    tracker.track('t', 0, '0')
    for (let i = 1; i < n; i++) {
      tracker.track('t', 0, String(i))
      tracker.complete('t', 0, String(i))
    }
    expect(tracker.committable()).toEqual([])
    tracker.complete('t', 0, '0')
    expect(tracker.committable()).toEqual([{ topic: 't', partition: 0, offset: String(n) }])
    // A steady stream where completions follow tracks: the queue is emptied, not grown.
    for (let i = n; i < 2 * n; i++) {
      tracker.track('t', 0, String(i))
      if (i - n >= 10) tracker.complete('t', 0, String(i - 10))
    }
    expect(tracker.unfinished('t', 0)).toBe(10)
    expect(tracker.safeOffset('t', 0)).toBe(String(2 * n - 10))
  })
})
