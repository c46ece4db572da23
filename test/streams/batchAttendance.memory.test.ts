import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Observable } from 'rxjs'
import { describe, expect, it } from 'vitest'
import type { AttendanceRecord } from '../../src/codecs/attendanceRecord.js'
import type { BatchingStats } from '../../src/streams/batchAttendance.js'
import { batchAttendance } from '../../src/streams/batchAttendance.js'

// A day of traffic in one go: 1,000,000 records over 200,000 distinct keys, with the default limits and the real
// default scheduler. Each key's next record comes 200,000 records later, long after maxOpenBatches has pushed its
// batch out, so this is the worst case for per-key state: every record opens a batch and a timer.

const RECORDS = 1_000_000
const KEYS = 200_000
const MiB = 1024 * 1024

function collectGarbage(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc
  if (exposed !== undefined) return exposed
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

const recordAt = (i: number): AttendanceRecord => ({
  account: 'default',
  event: { kind: 'external', externalEventId: `expo-${i % KEYS}` },
  subscriberState: 'attend',
  contact: { vid: i + 1 },
  interactionDateTime: 1_764_407_643_120 + i,
  properties: { joinedAt: String(1_764_407_643_120 + i) },
  contactProperties: {},
  origin: { type: 'badge.scanned', id: `scn-${i}` },
  source: {
    topic: 'scans',
    partition: i % 12,
    offset: String(i),
    timestamp: '1764407643120',
    key: null,
    value: null,
  },
})

describe('batchAttendance memory', () => {
  it('holds at most maxOpenBatches, ends empty, and does not grow the heap with the number of keys', () => {
    const gc = collectGarbage()
    gc()
    const before = process.memoryUsage().heapUsed

    let records = 0
    let batches = 0
    let maxOpen = 0
    let maxBuffered = 0
    let last: BatchingStats | undefined
    let peakHeap = 0
    let completed = false
    const source = new Observable<AttendanceRecord>((subscriber) => {
      for (let i = 0; i < RECORDS && !subscriber.closed; i++) {
        subscriber.next(recordAt(i))
        if (i % 100_000 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)
      }
      subscriber.complete()
    })
    source
      .pipe(
        batchAttendance({
          onStats: (stats) => {
            if (stats.openBatches > maxOpen) maxOpen = stats.openBatches
            if (stats.bufferedRecords > maxBuffered) maxBuffered = stats.bufferedRecords
            last = stats
          },
        }),
      )
      .subscribe({
        next: (batch) => {
          batches += 1
          records += batch.records.length
        },
        complete: () => {
          completed = true
        },
      })

    gc()
    const after = process.memoryUsage().heapUsed
    const growthMiB = (after - before) / MiB
    console.log(
      `memory: ${batches} batches, max open ${maxOpen}, heap growth ${growthMiB.toFixed(1)} MiB, ` +
        `peak heap in run ${(peakHeap / MiB).toFixed(0)} MiB`,
    )

    expect(completed).toBe(true)
    expect(records).toBe(RECORDS)
    expect(maxOpen).toBe(10_000)
    expect(maxBuffered).toBe(10_000)
    expect(last).toEqual({ openBatches: 0, bufferedRecords: 0 })
    // Generous: nothing is retained, so the growth is noise (JIT code, rxjs internals), far below one batch per key.
    expect(growthMiB).toBeLessThan(32)
    expect(peakHeap - before).toBeLessThan(512 * MiB)
  })
})
