import { from } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import type { AttendanceBatch } from '../../src/codecs/attendanceBatch.js'
import type { AttendanceRecord } from '../../src/codecs/attendanceRecord.js'
import { batchAttendance } from '../../src/streams/batchAttendance.js'
import { expectedBatch } from './batching/expectedBatch.js'
import { attendance } from './batching/recordFixtures.js'

// The doc comment of batchAttendance, kept honest: its example and its marble diagrams run here.

const loadRecords = (): AttendanceRecord[] =>
  Array.from({ length: 150 }, (_, i) => attendance({ contact: { vid: i + 1 } }))

describe('batchAttendance doc comment', () => {
  it('runs the example', async () => {
    const records: AttendanceRecord[] = loadRecords()
    const batches: AttendanceBatch[] = []
    from(records)
      .pipe(batchAttendance({ maxBatchSize: 100, maxWaitMs: 500, idPrefix: 'demo-' }))
      .subscribe((batch) => batches.push(batch))
    expect(batches.map((b) => [b.id, b.inputs.length])).toEqual([
      ['demo-1', 100],
      ['demo-2', 50],
    ])
  })

  it('draws the marbles it shows', () => {
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(
      ({ cold, expectObservable }) => {
        const one = { kind: 'external', externalEventId: 'one' } as const
        const other = { kind: 'external', externalEventId: 'other' } as const
        const r = {
          a: attendance({ event: one, contact: { vid: 1 } }),
          b: attendance({ event: one, contact: { vid: 2 } }),
          c: attendance({ event: one, contact: { vid: 3 } }),
          d: attendance({ event: other, contact: { vid: 1 } }),
        }
        const options = { maxBatchSize: 2, maxWaitMs: 8, idPrefix: 't-' }
        expectObservable(cold('-a-b-c-d----------|', r).pipe(batchAttendance(options))).toBe(
          '---x---------y-z--|',
          {
            x: expectedBatch('t-1', [r.a, r.b], 1, 3),
            y: expectedBatch('t-2', [r.c], 5, 13),
            z: expectedBatch('t-3', [r.d], 7, 15),
          },
        )
        expectObservable(cold('-a-d-|', r).pipe(batchAttendance(options))).toBe('-----(xy|)', {
          x: expectedBatch('t-1', [r.a], 1, 5),
          y: expectedBatch('t-2', [r.d], 3, 5),
        })
        expectObservable(cold('-a-d-#', r).pipe(batchAttendance(options))).toBe('-----#')
      },
    )
  })
})
