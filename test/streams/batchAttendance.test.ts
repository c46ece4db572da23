import { map, Subject, VirtualTimeScheduler } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import type { AttendanceBatch } from '../../src/codecs/attendanceBatch.js'
import type { AttendanceRecord } from '../../src/codecs/attendanceRecord.js'
import { AttendanceStreamError } from '../../src/errors.js'
import type { BatchingStats } from '../../src/streams/batchAttendance.js'
import { batchAttendance, DEFAULT_BATCH_OPTIONS } from '../../src/streams/batchAttendance.js'
import { requestBytes } from '../../src/streams/batching/requestBytes.js'
import { toSubscriberInput } from '../../src/streams/batching/subscriberInput.js'
import { expectedBatch } from './batching/expectedBatch.js'
import { attendance } from './batching/recordFixtures.js'

const testScheduler = (): TestScheduler =>
  new TestScheduler((actual, expected) => {
    expect(actual).toEqual(expected)
  })

const eventA = { kind: 'external', externalEventId: 'expo-a' } as const
const eventB = { kind: 'external', externalEventId: 'expo-b' } as const
const onA = (vid: number, extra: Parameters<typeof attendance>[0] = {}): AttendanceRecord =>
  attendance({ event: eventA, contact: { vid }, ...extra })
const onB = (vid: number, extra: Parameters<typeof attendance>[0] = {}): AttendanceRecord =>
  attendance({ event: eventB, contact: { vid }, ...extra })

describe('batchAttendance', () => {
  it('emits a key as soon as it holds maxBatchSize distinct contacts, and cancels its timer', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const r = { a: onA(1), b: onA(2), c: onA(3) }
      const source = cold('-a-b-c------------|', r)
      const expected = '   ---x---------y----|'
      expectObservable(source.pipe(batchAttendance({ maxBatchSize: 2, maxWaitMs: 8, idPrefix: 't-' }))).toBe(
        expected,
        { x: expectedBatch('t-1', [r.a, r.b], 1, 3), y: expectedBatch('t-2', [r.c], 5, 13) },
      )
    })
  })

  it('counts contacts, not records: a merged record does not fill the batch', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const r = {
        a: onA(1, { interactionDateTime: 50, properties: { joinedAt: '50' } }),
        b: onA(1, { interactionDateTime: 20, properties: { joinedAt: '20', leftAt: '90' } }),
        c: onA(2),
      }
      const source = cold('-abc-|', r)
      const batch = expectedBatch('t-1', [r.a, r.b, r.c], 1, 3)
      expect(batch.inputs[0]).toEqual({
        vid: 1,
        interactionDateTime: 50,
        properties: { joinedAt: '20', leftAt: '90' },
      })
      expectObservable(source.pipe(batchAttendance({ maxBatchSize: 2, idPrefix: 't-' }))).toBe('---x-|', {
        x: batch,
      })
    })
  })

  it('emits when the next record would push the body over maxBatchBytes, and starts over with that record', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const r = { a: onA(1), b: onA(2), c: onA(3) }
      const maxBatchBytes = requestBytes([toSubscriberInput(r.a), toSubscriberInput(r.b)])
      const source = cold('-a-b-c-|', r)
      expectObservable(source.pipe(batchAttendance({ maxBatchBytes, idPrefix: 't-' }))).toBe('-----x-(y|)', {
        x: expectedBatch('t-1', [r.a, r.b], 1, 5),
        y: expectedBatch('t-2', [r.c], 5, 7),
      })
    })
  })

  it('splits on bytes when a merge would grow an input over the bound', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      // Each fits alone; merged they carry both properties and do not.
      const r = {
        a: onA(1, { properties: { gate: 'A' } }),
        b: onA(1, { properties: { leftAt: '1764407643999' } }),
      }
      const maxBatchBytes = requestBytes([toSubscriberInput(r.b)])
      expect(requestBytes([toSubscriberInput(r.a)])).toBeLessThan(maxBatchBytes)
      const source = cold('-a-b-|', r)
      expectObservable(source.pipe(batchAttendance({ maxBatchBytes, idPrefix: 't-' }))).toBe('---x-(y|)', {
        x: expectedBatch('t-1', [r.a], 1, 3),
        y: expectedBatch('t-2', [r.b], 3, 5),
      })
    })
  })

  it('sends a record bigger than maxBatchBytes at once and alone', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const r = { a: onA(1), b: onA(2, { properties: { note: 'x'.repeat(200) } }), c: onA(3) }
      const source = cold('-a-b-c-|', r)
      const huge = expectedBatch('t-2', [r.b], 3, 3)
      expect(huge.bytes).toBeGreaterThan(150)
      expectObservable(source.pipe(batchAttendance({ maxBatchBytes: 150, idPrefix: 't-' }))).toBe(
        '---(xy)(z|)',
        {
          x: expectedBatch('t-1', [r.a], 1, 3),
          y: huge,
          z: expectedBatch('t-3', [r.c], 5, 7),
        },
      )
    })
  })

  it('times every key from its own first record', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const r = { a: onA(1), b: onB(1), c: onA(2), d: onB(2) }
      const source = cold('-a-bc----d--------|', r)
      expectObservable(source.pipe(batchAttendance({ maxWaitMs: 5, idPrefix: 't-' }))).toBe(
        '------x-y-----z---|',
        {
          x: expectedBatch('t-1', [r.a, r.c], 1, 6),
          y: expectedBatch('t-2', [r.b], 3, 8),
          z: expectedBatch('t-3', [r.d], 9, 14),
        },
      )
    })
  })

  it('batches interleaved keys separately', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const r = { a: onA(1), b: onB(1), c: onA(2), d: onB(2), e: onA(3) }
      const source = cold('-abcde|', r)
      expectObservable(source.pipe(batchAttendance({ maxBatchSize: 2, idPrefix: 't-' }))).toBe('---xy-(z|)', {
        x: expectedBatch('t-1', [r.a, r.c], 1, 3),
        y: expectedBatch('t-2', [r.b, r.d], 2, 4),
        z: expectedBatch('t-3', [r.e], 5, 6),
      })
    })
  })

  it('keys on account, state, contact kind and externalAccountId too', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const r = {
        a: onA(1),
        b: onA(1, { account: 'other' }),
        c: onA(1, { subscriberState: 'register' }),
        d: onA(1, { contact: { email: 'a@x.io' } }),
        e: onA(1, { event: { ...eventA, externalAccountId: 'acct-7' } }),
      }
      const source = cold('abcde|', r)
      expectObservable(source.pipe(batchAttendance({ idPrefix: 't-' }))).toBe('-----(vwxyz|)', {
        v: expectedBatch('t-1', [r.a], 0, 5),
        w: expectedBatch('t-2', [r.b], 1, 5),
        x: expectedBatch('t-3', [r.c], 2, 5),
        y: expectedBatch('t-4', [r.d], 3, 5),
        z: expectedBatch('t-5', [r.e], 4, 5),
      })
    })
  })

  it('flushes every open batch on completion, in the order they opened', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const r = { a: onB(1), b: onA(1), c: onB(2) }
      const source = cold('-abc|', r)
      expectObservable(source.pipe(batchAttendance({ idPrefix: 't-' }))).toBe('----(xy|)', {
        x: expectedBatch('t-1', [r.a, r.c], 1, 4),
        y: expectedBatch('t-2', [r.b], 2, 4),
      })
    })
  })

  it('emits the oldest batch early when maxOpenBatches are open and a new key arrives', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const eventC = { kind: 'object', objectId: '3' } as const
      const r = { a: onA(1), b: onB(1), c: attendance({ event: eventC }), d: onB(2) }
      const source = cold('-abcd|', r)
      const batched = source.pipe(batchAttendance({ maxOpenBatches: 2, idPrefix: 't-' }))
      expectObservable(batched).toBe('---x-(yz|)', {
        x: expectedBatch('t-1', [r.a], 1, 3),
        y: expectedBatch('t-2', [r.b, r.d], 2, 5),
        z: expectedBatch('t-3', [r.c], 3, 5),
      })
    })
  })

  it('drops open batches and passes an error on at once', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-#', { a: onA(1), b: onB(1) }, new Error('broker gone'))
      expectObservable(source.pipe(batchAttendance({ maxWaitMs: 10 }))).toBe(
        '-----#',
        undefined,
        new Error('broker gone'),
      )
    })
  })

  it('emits what timed out before an error', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const r = { a: onA(1), b: onB(1) }
      const source = cold('-a---b-#', r, 'boom')
      expectObservable(source.pipe(batchAttendance({ maxWaitMs: 3, idPrefix: 't-' }))).toBe(
        '----x--#',
        { x: expectedBatch('t-1', [r.a], 1, 4) },
        'boom',
      )
    })
  })

  it('unsubscribes from the source and cancels timers when unsubscribed early', () => {
    testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const r = { a: onA(1), b: onA(2), c: onA(3) }
      const source = hot('-a-b-c-----|', r)
      const batched = source.pipe(batchAttendance({ maxWaitMs: 4 }))
      expectObservable(batched, '^--!').toBe('-')
      expectSubscriptions(source.subscriptions).toBe('^--!')
    })
  })

  it('keeps one timer, due at the oldest deadline, and leaves none behind on unsubscribe', () => {
    const scheduler = new VirtualTimeScheduler()
    const subject = new Subject<AttendanceRecord>()
    const batches: AttendanceBatch[] = []
    const subscription = subject
      .pipe(batchAttendance({ maxBatchSize: 2, maxWaitMs: 100, scheduler }))
      .subscribe((b) => batches.push(b))
    subject.next(onA(1))
    subject.next(onB(1))
    expect(scheduler.actions).toHaveLength(1)
    subject.next(onA(2))
    expect(batches).toHaveLength(1)
    subscription.unsubscribe()
    expect(scheduler.actions).toHaveLength(0)
    scheduler.flush()
    expect(batches).toHaveLength(1)
  })

  it('re-arms for the next oldest batch when the one its timer was due for left early', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const r = { a: onA(1), b: onB(1), c: onA(2) }
      const source = cold('-a-bc--------------|', r)
      expectObservable(source.pipe(batchAttendance({ maxBatchSize: 2, maxWaitMs: 10, idPrefix: 't-' }))).toBe(
        '----x--------y-----|',
        { x: expectedBatch('t-1', [r.a, r.c], 1, 4), y: expectedBatch('t-2', [r.b], 3, 13) },
      )
    })
  })

  it('completes without emitting for an empty source, and stays silent for a silent one', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<AttendanceRecord>('|').pipe(batchAttendance())).toBe('|')
      expectObservable(cold<AttendanceRecord>('-').pipe(batchAttendance())).toBe('-')
      expectObservable(cold<AttendanceRecord>('---|').pipe(batchAttendance())).toBe('---|')
    })
  })

  it('emits by time and never completes when the source never does', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const r = { a: onA(1) }
      expectObservable(cold('-a-', r).pipe(batchAttendance({ idPrefix: 't-' }))).toBe('- 1000ms x', {
        x: expectedBatch('t-1', [r.a], 1, 1001),
      })
    })
  })

  it('uses the defaults of the contract', () => {
    expect(DEFAULT_BATCH_OPTIONS).toEqual({
      maxBatchSize: 100,
      maxBatchBytes: 512 * 1024,
      maxWaitMs: 1000,
      maxOpenBatches: 10_000,
    })
    testScheduler().run(({ cold, expectObservable }) => {
      const records = Array.from({ length: 101 }, (_, i) => onA(i + 1))
      const source = cold(`(${'r'.repeat(101)}|)`).pipe(map((_, i) => records[i]!))
      expectObservable(source.pipe(batchAttendance({ idPrefix: 't-' }))).toBe('(xy|)', {
        x: expectedBatch('t-1', records.slice(0, 100), 0, 0),
        y: expectedBatch('t-2', records.slice(100), 0, 0),
      })
    })
  })

  it('rejects options out of range when the operator is built', () => {
    expect(() => batchAttendance({ maxBatchSize: 0 })).toThrow(AttendanceStreamError)
  })

  it('errors with what onStats throws, and stops batching', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-|', { a: onA(1), b: onB(1) })
      let calls = 0
      const onStats = (): void => {
        calls += 1
        if (calls === 2) throw new Error('gauge broke')
      }
      expectObservable(source.pipe(batchAttendance({ onStats }))).toBe(
        '---#',
        undefined,
        new Error('gauge broke'),
      )
      expectSubscriptions(source.subscriptions).toBe('^--!')
    })
  })

  it('reports open batches and buffered records, ending empty', () => {
    testScheduler().run(({ cold, expectObservable, flush }) => {
      const stats: BatchingStats[] = []
      const r = { a: onA(1), b: onA(2), c: onB(1) }
      const batched = cold('-abc|', r).pipe(
        batchAttendance({ maxBatchSize: 2, onStats: (s) => stats.push(s) }),
      )
      expectObservable(batched).toBe('--x-(y|)', {
        x: expect.objectContaining({ records: [r.a, r.b] }),
        y: expect.objectContaining({ records: [r.c] }),
      })
      flush()
      expect(stats).toEqual([
        { openBatches: 1, bufferedRecords: 1 },
        { openBatches: 0, bufferedRecords: 0 },
        { openBatches: 1, bufferedRecords: 1 },
        { openBatches: 0, bufferedRecords: 0 },
      ])
    })
  })
})

describe('batchAttendance reentrancy', () => {
  it('queues batches a subscriber causes while it is handed one, and completes after them', () => {
    const subject = new Subject<AttendanceRecord>()
    const r = [onA(1), onA(2), onA(3)] as const
    const seen: string[] = []
    let depth = 0
    subject.pipe(batchAttendance({ maxBatchSize: 1, idPrefix: 't-' })).subscribe({
      next: (batch) => {
        depth += 1
        seen.push(`${batch.id}@${depth}:${batch.records.map((x) => x.source.offset).join()}`)
        if (batch.id === 't-1') {
          subject.next(r[1])
          subject.next(r[2])
          subject.complete()
          seen.push('back in t-1')
        }
        depth -= 1
      },
      complete: () => seen.push('complete'),
    })
    subject.next(r[0])
    const offsets = r.map((x) => x.source.offset)
    expect(seen).toEqual([
      `t-1@1:${offsets[0]}`,
      'back in t-1',
      `t-2@1:${offsets[1]}`,
      `t-3@1:${offsets[2]}`,
      'complete',
    ])
  })

  it('loses no sealed batch when a subscriber completes the source in the middle of a multi-batch emission', () => {
    const subject = new Subject<AttendanceRecord>()
    const small = onA(1)
    const big = onB(1, { properties: { note: 'x'.repeat(500) } })
    const open = onA(2, { event: { kind: 'object', objectId: '5' } })
    const batches: AttendanceBatch[] = []
    let completed = false
    subject.pipe(batchAttendance({ maxOpenBatches: 1, maxBatchBytes: 300 })).subscribe({
      next: (batch) => {
        batches.push(batch)
        if (batches.length === 1) {
          subject.next(open)
          subject.complete()
        }
      },
      complete: () => {
        completed = true
      },
    })
    subject.next(small)
    // `big` evicts `small` and leaves alone at once: two batches from one record, then `open` is flushed.
    subject.next(big)
    expect(batches.map((b) => b.records)).toEqual([[small], [big], [open]])
    expect(completed).toBe(true)
  })

  it('keeps state consistent when a subscriber feeds the same key while it is handed that key’s batch', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const subject = new Subject<AttendanceRecord>()
      const r = { a: onA(1), b: onA(2), c: onA(3), d: onA(4) }
      let fed = false
      const batched = subject.pipe(batchAttendance({ maxBatchSize: 2, maxWaitMs: 3, idPrefix: 't-' }))
      const tapped = new Subject<AttendanceBatch>()
      batched.subscribe({
        next: (batch) => {
          if (!fed) {
            fed = true
            subject.next(r.c)
          }
          tapped.next(batch)
        },
        complete: () => tapped.complete(),
      })
      cold('-ab-d|', r).subscribe({ next: (x) => subject.next(x), complete: () => subject.complete() })
      expectObservable(tapped).toBe('--x-y|', {
        x: expectedBatch('t-1', [r.a, r.b], 1, 2),
        y: expectedBatch('t-2', [r.c, r.d], 2, 4),
      })
    })
  })
})

describe('batchAttendance: a record it throws on', () => {
  it('leaves at once as a batch of its own with a failure, and the other records batch as usual', () => {
    // A record whose properties cannot be read: building its input throws (the seam is the data).
    const poison = onA(2)
    Object.defineProperty(poison, 'properties', {
      get() {
        throw new TypeError('unreadable properties')
      },
    })
    const emitted: { at: number; batch: AttendanceBatch }[] = []
    const scheduler = testScheduler()
    const r = { a: onA(1), p: poison, c: onA(3) }
    scheduler.run(({ cold }) => {
      cold('-a-p-c-|', r)
        .pipe(batchAttendance({ maxBatchSize: 2, maxWaitMs: 8, idPrefix: 't-' }))
        .subscribe((batch) => emitted.push({ at: scheduler.now(), batch }))
    })
    // Compared field by field: deep equality would read the poisoned getter too.
    expect(emitted.map((e) => [e.at, e.batch.id])).toEqual([
      [3, 't-1'],
      [5, 't-2'],
    ])
    const failed = emitted[0]!.batch
    expect(failed.records).toHaveLength(1)
    expect(failed.records[0]).toBe(poison)
    expect({ ...failed, records: [] }).toEqual({
      id: 't-1',
      key: { account: r.a.account, event: eventA, subscriberState: 'attend', contactKind: 'vid' },
      inputs: [],
      records: [],
      bytes: 0,
      openedAt: 3,
      closedAt: 3,
      failure: { message: 'batching threw: TypeError: unreadable properties' },
    })
    expect(emitted[1]!.batch).toEqual(expectedBatch('t-2', [r.a, r.c], 1, 5))
  })
})
