import fc from 'fast-check'
import { Subject, VirtualAction, VirtualTimeScheduler } from 'rxjs'
import { describe, expect, it } from 'vitest'
import type { AttendanceBatch } from '../../src/codecs/attendanceBatch.js'
import type { AttendanceRecord } from '../../src/codecs/attendanceRecord.js'
import { batchAttendance } from '../../src/streams/batchAttendance.js'
import type { SendCapacity } from '../../src/streams/batching/sendCapacity.js'
import { attendance } from './batching/recordFixtures.js'

// Late sealing: batching that asks the sink for a slot before a batch goes (`sendCapacity`). Virtual time, and a
// fake sink whose slots the test hands out; a batch handed on claims a slot synchronously, as the real sink does.

const advance = (scheduler: VirtualTimeScheduler, ms: number) => {
  const until = scheduler.frame + ms
  scheduler.maxFrames = until
  scheduler.flush()
  scheduler.frame = until
}

/** A sink's capacity that the test controls: `grant(account, n)` opens n slots and says so. */
const fakeSlots = () => {
  const slots = new Map<string, number>()
  const changes = new Subject<string>()
  const capacity: SendCapacity = {
    available: (account) => slots.get(account) ?? 0,
    changes: changes.asObservable(),
  }
  return {
    capacity,
    grant: (account: string, n: number) => {
      slots.set(account, (slots.get(account) ?? 0) + n)
      changes.next(account)
    },
    /** What the sink does when it is handed a batch: the batch takes a slot at once. */
    claim: (batch: AttendanceBatch) => slots.set(batch.key.account, (slots.get(batch.key.account) ?? 0) - 1),
    available: (account: string) => slots.get(account) ?? 0,
  }
}

const onEvent = (event: string, vid: number, account = 'default'): AttendanceRecord =>
  attendance({ account, event: { kind: 'external', externalEventId: event }, contact: { vid } })

const eventOf = (batch: AttendanceBatch): string =>
  batch.key.event.kind === 'external' ? batch.key.event.externalEventId : '?'

const harness = (options: { maxBatchSize?: number; maxWaitMs?: number; agingMs?: number } = {}) => {
  const scheduler = new VirtualTimeScheduler(VirtualAction, Number.POSITIVE_INFINITY)
  const slots = fakeSlots()
  const records = new Subject<AttendanceRecord>()
  const out: AttendanceBatch[] = []
  let completed = false
  records
    .pipe(
      batchAttendance({
        maxBatchSize: options.maxBatchSize ?? 3,
        maxWaitMs: options.maxWaitMs ?? 100,
        agingMs: options.agingMs ?? 1_000,
        scheduler,
        sendCapacity: slots.capacity,
        idPrefix: 'b',
      }),
    )
    .subscribe({
      next: (batch) => {
        slots.claim(batch)
        out.push(batch)
      },
      complete: () => {
        completed = true
      },
    })
  return { scheduler, slots, records, out, isCompleted: () => completed }
}

describe('batchAttendance with sendCapacity (late sealing)', () => {
  it('behaves as without it while slots are free: maxWaitMs bounds the wait, full batches go at once', () => {
    const h = harness()
    h.slots.grant('default', 10)
    h.records.next(onEvent('a', 1))
    h.records.next(onEvent('b', 1))
    h.records.next(onEvent('b', 2))
    h.records.next(onEvent('b', 3))
    expect(h.out.map(eventOf)).toEqual(['b'])
    advance(h.scheduler, 99)
    expect(h.out).toHaveLength(1)
    advance(h.scheduler, 1)
    expect(h.out.map((b) => [eventOf(b), b.records.length, b.closedAt])).toEqual([
      ['b', 3, 0],
      ['a', 1, 100],
    ])
  })

  it('keeps a due batch open while its account has no slot, and it takes the records that arrive meanwhile', () => {
    const h = harness({ maxBatchSize: 5 })
    h.records.next(onEvent('a', 1))
    advance(h.scheduler, 150)
    expect(h.out).toEqual([])
    h.records.next(onEvent('a', 2))
    h.records.next(onEvent('a', 2))
    h.records.next(onEvent('a', 3))
    expect(h.out).toEqual([])
    h.slots.grant('default', 1)
    expect(h.out.map((b) => [eventOf(b), b.inputs.length, b.records.length, b.openedAt, b.closedAt])).toEqual(
      [['a', 3, 4, 0, 150]],
    )
    expect(h.slots.available('default')).toBe(0)
  })

  it('gives a slot to a full batch before an older partial one, until the partial one has aged enough', () => {
    const h = harness({ maxBatchSize: 4, maxWaitMs: 100, agingMs: 1_000 })
    h.records.next(onEvent('quiet', 1))
    advance(h.scheduler, 200)
    for (let vid = 1; vid <= 8; vid += 1) h.records.next(onEvent('busy', vid))
    // quiet: 1 of 4 (fill 0.25), waited 200 ms; two full busy batches, waited 0 ms.
    h.slots.grant('default', 1)
    expect(h.out.map((b) => [eventOf(b), b.inputs.length])).toEqual([['busy', 4]])
    // 0.25 + t/1000 beats 1 + (t - 200)/1000 only once... never at equal growth: the full one keeps its lead of
    // 0.75 − 0.2 = 0.55 until the quiet batch has waited longer. It has: both age alike, so the full one goes.
    h.slots.grant('default', 1)
    expect(h.out.map(eventOf)).toEqual(['busy', 'busy'])
    // A new full busy batch, much younger than the quiet one: now age wins (0.25 + 1.0 > 1 + 0.1).
    advance(h.scheduler, 900)
    for (let vid = 9; vid <= 12; vid += 1) h.records.next(onEvent('busy', vid))
    advance(h.scheduler, 100)
    h.slots.grant('default', 1)
    expect(h.out.map(eventOf)).toEqual(['busy', 'busy', 'quiet'])
  })

  it('hears of a slot opening on its account only, and flushes everything it holds on completion', () => {
    const h = harness({ maxBatchSize: 2 })
    h.records.next(onEvent('x', 1, 'acme'))
    h.records.next(onEvent('x', 2, 'acme'))
    h.records.next(onEvent('y', 1, 'globex'))
    advance(h.scheduler, 500)
    h.slots.grant('globex', 1)
    expect(h.out.map((b) => b.key.account)).toEqual(['globex'])
    h.records.next(onEvent('x', 3, 'acme'))
    h.records.complete()
    expect(h.isCompleted()).toBe(true)
    expect(h.out.map((b) => [b.key.account, b.records.length])).toEqual([
      ['globex', 1],
      ['acme', 2],
      ['acme', 1],
    ])
  })

  it('over random schedules: every record leaves once, no batch goes without a slot, none waits while one is free', () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('record' as const),
        account: fc.constantFrom('acme', 'globex'),
        event: fc.constantFrom('e1', 'e2', 'e3', 'e4'),
        vid: fc.integer({ min: 1, max: 12 }),
      }),
      fc.record({ kind: fc.constant('time' as const), ms: fc.integer({ min: 1, max: 400 }) }),
      fc.record({
        kind: fc.constant('grant' as const),
        account: fc.constantFrom('acme', 'globex'),
        n: fc.integer({ min: 1, max: 3 }),
      }),
    )
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120 }), (steps) => {
        const h = harness({ maxBatchSize: 3, maxWaitMs: 100, agingMs: 500 })
        const sent: AttendanceRecord[] = []
        const arrivedAt = new Map<AttendanceRecord, number>()
        const left = new Set<AttendanceRecord>()
        let emitted = 0
        for (const s of steps) {
          if (s.kind === 'record') {
            const record = onEvent(s.event, s.vid, s.account)
            sent.push(record)
            arrivedAt.set(record, h.scheduler.frame)
            h.records.next(record)
          } else if (s.kind === 'time') advance(h.scheduler, s.ms)
          else h.slots.grant(s.account, s.n)
          // No batch went without a slot (slots never go negative)...
          for (const account of ['acme', 'globex'])
            expect(h.slots.available(account)).toBeGreaterThanOrEqual(0)
          for (const batch of h.out.slice(emitted)) {
            expect(batch.inputs.length).toBeLessThanOrEqual(3)
            // ... and a batch goes before maxWaitMs only when it is full.
            if (batch.inputs.length < 3) expect(batch.closedAt - batch.openedAt).toBeGreaterThanOrEqual(100)
            for (const record of batch.records) left.add(record)
          }
          emitted = h.out.length
          // ... and while an account has a slot free, none of its records is older than maxWaitMs.
          for (const record of sent) {
            if (left.has(record) || h.slots.available(record.account) === 0) continue
            expect(h.scheduler.frame - (arrivedAt.get(record) ?? 0)).toBeLessThan(100)
          }
        }
        h.records.complete()
        expect(h.isCompleted()).toBe(true)
        const out = h.out.flatMap((b) => b.records)
        expect(out).toHaveLength(sent.length)
        expect(new Set(out)).toEqual(new Set(sent))
      }),
      { numRuns: Number(process.env['LATE_SEALING_RUNS'] ?? 1_000) },
    )
  })
})
