import { describe, expect, it } from 'vitest'
import type { AttendanceRecord } from '../../../src/codecs/attendanceRecord.js'
import type { BatchLimits } from '../../../src/streams/batching/batchAccumulator.js'
import { BatchAccumulator } from '../../../src/streams/batching/batchAccumulator.js'
import { attendance } from './recordFixtures.js'

const limits: BatchLimits = { maxBatchSize: 3, maxBatchBytes: 10_000, maxWaitMs: 10, maxOpenBatches: 3 }
const on = (event: string, vid = 1): AttendanceRecord =>
  attendance({ event: { kind: 'external', externalEventId: event }, contact: { vid } })
const counter = (): (() => string) => {
  let n = 0
  return () => `id-${++n}`
}
const eventsOf = (batches: readonly { records: readonly AttendanceRecord[] }[]) =>
  batches.map((b) =>
    b.records.map((r) => (r.event.kind === 'external' ? r.event.externalEventId : '?')).join(),
  )

describe('BatchAccumulator', () => {
  it('tracks open batches and buffered records', () => {
    const acc = new BatchAccumulator(limits, counter())
    expect(acc.stats).toEqual({ openBatches: 0, bufferedRecords: 0 })
    expect(acc.add(on('a', 1), 0)).toEqual({ opened: true, sealed: [], ready: [] })
    expect(acc.add(on('a', 2), 1)).toEqual({ opened: false, sealed: [], ready: [] })
    acc.add(on('b'), 2)
    expect(acc.stats).toEqual({ openBatches: 2, bufferedRecords: 3 })
    const { sealed } = acc.add(on('a', 3), 3)
    expect(sealed.map((b) => [b.id, b.records.length, b.openedAt, b.closedAt])).toEqual([['id-1', 3, 0, 3]])
    expect(acc.stats).toEqual({ openBatches: 1, bufferedRecords: 1 })
  })

  it('evicts the oldest open batch, also after batches in between have left', () => {
    const acc = new BatchAccumulator(limits, counter())
    acc.add(on('a'), 0)
    acc.add(on('b'), 1)
    acc.add(on('c'), 2)
    // 'a' fills up and leaves; 'a' then reopens as the newest, so 'b' is now the oldest.
    acc.add(on('a', 2), 3)
    acc.add(on('a', 3), 3)
    acc.add(on('a', 4), 4)
    expect(eventsOf(acc.add(on('d'), 5).sealed)).toEqual(['b'])
    expect(eventsOf(acc.add(on('e'), 6).sealed)).toEqual(['c'])
    expect(eventsOf(acc.drain(7))).toEqual(['a', 'd', 'e'])
    expect(acc.stats).toEqual({ openBatches: 0, bufferedRecords: 0 })
  })

  it('knows the next deadline and seals exactly the batches due, oldest first', () => {
    const acc = new BatchAccumulator(limits, counter())
    expect(acc.nextDeadline).toBeUndefined()
    acc.add(on('a'), 0)
    acc.add(on('b'), 4)
    acc.add(on('c'), 4)
    expect(acc.nextDeadline).toBe(10)
    expect(acc.sealDue(9)).toEqual([])
    expect(eventsOf(acc.sealDue(10))).toEqual(['a'])
    expect(acc.nextDeadline).toBe(14)
    expect(eventsOf(acc.sealDue(20))).toEqual(['b', 'c'])
    expect(acc.nextDeadline).toBeUndefined()
  })

  it('drops everything on clear', () => {
    const acc = new BatchAccumulator(limits, counter())
    acc.add(on('a'), 0)
    acc.add(on('b'), 0)
    acc.clear()
    expect(acc.stats).toEqual({ openBatches: 0, bufferedRecords: 0 })
    expect(acc.drain(1)).toEqual([])
    expect(acc.add(on('a'), 2).opened).toBe(true)
  })

  it('stays within maxOpenBatches and ends empty over many more keys than that', () => {
    const acc = new BatchAccumulator({ ...limits, maxOpenBatches: 1_000 }, counter())
    const records = Array.from({ length: 100_000 }, (_, i) => on(`k-${i % 20_000}`, i))
    let sealed = 0
    let maxOpen = 0
    for (const [i, record] of records.entries()) {
      sealed += acc.add(record, i).sealed.length
      maxOpen = Math.max(maxOpen, acc.stats.openBatches)
    }
    sealed += acc.drain(records.length).length
    expect(maxOpen).toBe(1_000)
    expect(sealed).toBe(records.length)
    expect(acc.stats).toEqual({ openBatches: 0, bufferedRecords: 0 })
    expect(acc.nextDeadline).toBeUndefined()
  })
})
