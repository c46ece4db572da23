import fc from 'fast-check'
import { Subject, VirtualTimeScheduler } from 'rxjs'
import { describe, expect, it } from 'vitest'
import type { AttendanceBatch } from '../../src/codecs/attendanceBatch.js'
import type {
  AttendanceRecord,
  ContactKey,
  EventRef,
  StringMap,
  SubscriberState,
} from '../../src/codecs/attendanceRecord.js'
import { contactIdentity } from '../../src/codecs/attendanceRecord.js'
import type { BatchingStats, BatchOptions } from '../../src/streams/batchAttendance.js'
import { batchAttendance, batchKeyOf, batchKeyString } from '../../src/streams/batchAttendance.js'
import { requestBytes } from '../../src/streams/batching/requestBytes.js'

// Invariants of keyed batching over random streams, timings and limits, in virtual time. Few keys and contacts
// on purpose, so that merges, size and byte triggers, evictions and timer races all happen often.

// Most records share one key, so batches fill up; the rest spread over the other keys, so evictions happen too.
function mostly<T>(usual: T, ...others: T[]): fc.Arbitrary<T> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(usual) },
    { weight: 1, arbitrary: fc.constantFrom(...others) },
  )
}

const epochString = fc.integer({ min: 0, max: 2_000_000_000_000 }).map(String)

const recordArb: fc.Arbitrary<AttendanceRecord> = fc
  .record({
    account: mostly('default', 'portal-2'),
    event: mostly<EventRef>(
      { kind: 'external', externalEventId: 'expo' },
      { kind: 'external', externalEventId: 'expo', externalAccountId: 'acct-7' },
      { kind: 'object', objectId: '77' },
    ),
    subscriberState: mostly<SubscriberState>('attend', 'register'),
    contact: fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: 1, max: 8 }).map((vid): ContactKey => ({ vid })) },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom('ada@x.io', 'ADA@x.io', 'bob@x.io')
          .map((email): ContactKey => ({ email })),
      },
    ),
    interactionDateTime: fc.integer({ min: 0, max: 2_000_000_000_000 }),
    joinedAt: fc.option(epochString, { nil: undefined }),
    leftAt: fc.option(epochString, { nil: undefined }),
    note: fc.option(fc.string({ maxLength: 160 }), { nil: undefined }),
    firstname: fc.option(fc.constantFrom('Ada', 'Bob', 'Ünïcødé ✓'), { nil: undefined }),
  })
  .map((g) => {
    const properties: StringMap = {}
    if (g.joinedAt !== undefined) properties['joinedAt'] = g.joinedAt
    if (g.leftAt !== undefined) properties['leftAt'] = g.leftAt
    if (g.note !== undefined) properties['note'] = g.note
    return {
      account: g.account,
      event: g.event,
      subscriberState: g.subscriberState,
      contact: g.contact,
      interactionDateTime: g.interactionDateTime,
      properties,
      contactProperties: (g.firstname === undefined ? {} : { firstname: g.firstname }) as StringMap,
      origin: { type: 'badge.scanned' as const, id: 'scn' },
      source: { topic: 'scans', partition: 0, offset: '0', timestamp: '0', key: null, value: null },
    }
  })

const scenarioArb = fc.record({
  events: fc.array(fc.record({ gap: fc.integer({ min: 0, max: 12 }), record: recordArb }), { maxLength: 60 }),
  tail: fc.integer({ min: 0, max: 40 }),
  options: fc.record({
    maxBatchSize: fc.integer({ min: 1, max: 6 }),
    maxBatchBytes: fc.integer({ min: 60, max: 1500 }),
    maxWaitMs: fc.integer({ min: 0, max: 30 }),
    maxOpenBatches: fc.integer({ min: 1, max: 6 }),
  }),
  ending: fc.constantFrom('complete' as const, 'complete' as const, 'error' as const),
})
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never
type Limits = Required<Pick<BatchOptions, 'maxBatchSize' | 'maxBatchBytes' | 'maxWaitMs' | 'maxOpenBatches'>>

interface Run {
  readonly arrivals: Map<AttendanceRecord, number>
  readonly order: AttendanceRecord[]
  readonly emitted: { readonly batch: AttendanceBatch; readonly at: number }[]
  readonly stats: BatchingStats[]
  readonly end: { readonly kind: 'complete' | 'error'; readonly at: number } | undefined
  readonly pendingActions: number
}

function runScenario(scenario: Scenario): Run {
  const scheduler = new VirtualTimeScheduler()
  const subject = new Subject<AttendanceRecord>()
  const arrivals = new Map<AttendanceRecord, number>()
  const order: AttendanceRecord[] = []
  const emitted: Run['emitted'] = []
  const stats: BatchingStats[] = []
  let end: Run['end']
  subject.pipe(batchAttendance({ ...scenario.options, scheduler, onStats: (s) => stats.push(s) })).subscribe({
    next: (batch) => emitted.push({ batch, at: scheduler.now() }),
    error: () => {
      end = { kind: 'error', at: scheduler.now() }
    },
    complete: () => {
      end = { kind: 'complete', at: scheduler.now() }
    },
  })
  let t = 0
  for (const { gap, record } of scenario.events) {
    t += gap
    // Each generated record is its own object: identity tells records apart even when their content is equal.
    const own = { ...record }
    scheduler.schedule(() => {
      arrivals.set(own, scheduler.now())
      order.push(own)
      subject.next(own)
    }, t)
  }
  scheduler.schedule(() => {
    if (scenario.ending === 'complete') subject.complete()
    else subject.error(new Error('source failed'))
  }, t + scenario.tail)
  scheduler.flush()
  return { arrivals, order, emitted, stats, end, pendingActions: scheduler.actions.length }
}

/** The merge of records.md §2 (+ documented choices), written as a whole-group fold, apart from the operator's. */
function oracleInputs(records: readonly AttendanceRecord[]): unknown[] {
  const groups = new Map<string, AttendanceRecord[]>()
  for (const record of records) {
    const identity = contactIdentity(record.contact)
    groups.set(identity, [...(groups.get(identity) ?? []), record])
  }
  return [...groups.values()].map((group) => {
    const first = group[0]!
    const properties: StringMap = {}
    for (const record of group) {
      for (const [name, value] of Object.entries(record.properties))
        if (!(name in properties)) properties[name] = value
    }
    const joined = group.flatMap((r) =>
      r.properties['joinedAt'] === undefined ? [] : [Number(r.properties['joinedAt'])],
    )
    const left = group.flatMap((r) =>
      r.properties['leftAt'] === undefined ? [] : [Number(r.properties['leftAt'])],
    )
    if (joined.length > 0) properties['joinedAt'] = String(Math.min(...joined))
    if (left.length > 0) properties['leftAt'] = String(Math.max(...left))
    const interactionDateTime = Math.max(...group.map((r) => r.interactionDateTime))
    return 'vid' in first.contact
      ? { vid: first.contact.vid, interactionDateTime, properties }
      : {
          email: first.contact.email,
          interactionDateTime,
          properties,
          contactProperties: Object.assign({}, ...group.map((r) => r.contactProperties)),
        }
  })
}

const keyOf = (record: AttendanceRecord): string => batchKeyString(batchKeyOf(record))

function checkBatches(run: Run, limits: Limits): void {
  for (const { batch, at } of run.emitted) {
    const first = batch.records[0]!
    expect(batch.key).toEqual(batchKeyOf(first))
    for (const record of batch.records) expect(keyOf(record)).toBe(keyOf(first))
    // Bounds: contacts, and bytes measured as HubSpot's body, unless one oversized record went alone.
    expect(batch.inputs.length).toBeLessThanOrEqual(limits.maxBatchSize)
    expect(batch.bytes).toBe(requestBytes(batch.inputs))
    if (batch.bytes > limits.maxBatchBytes) expect(batch.records).toHaveLength(1)
    // Times: opened by its first record, closed when emitted, no record older than maxWaitMs.
    expect(batch.openedAt).toBe(run.arrivals.get(first))
    expect(batch.closedAt).toBe(at)
    for (const record of batch.records) {
      const arrived = run.arrivals.get(record)!
      expect(arrived).toBeGreaterThanOrEqual(batch.openedAt)
      expect(at - arrived).toBeLessThanOrEqual(limits.maxWaitMs)
    }
    // Merge rules.
    expect(batch.inputs).toEqual(oracleInputs(batch.records))
    // Not closed for nothing: a batch that leaves before its time is full, oversized, or pushed out by a record.
    const early =
      at - batch.openedAt < limits.maxWaitMs && !(run.end?.kind === 'complete' && run.end.at === at)
    if (early) {
      const explained =
        batch.inputs.length === limits.maxBatchSize ||
        batch.bytes > limits.maxBatchBytes ||
        run.order.some((record) => run.arrivals.get(record) === at)
      expect(explained).toBe(true)
    }
  }
  for (const s of run.stats) expect(s.openBatches).toBeLessThanOrEqual(limits.maxOpenBatches)
  expect(run.pendingActions).toBe(0)
}

function checkCompleted(run: Run): void {
  expect(run.end?.kind).toBe('complete')
  // Every record in exactly one batch, and per key in arrival order.
  const seen = run.emitted.flatMap(({ batch }) => batch.records)
  expect(new Set(seen).size).toBe(seen.length)
  expect(seen).toHaveLength(run.order.length)
  for (const record of run.order) expect(seen).toContain(record)
  const byKey = (records: readonly AttendanceRecord[]) => {
    const keyed = new Map<string, AttendanceRecord[]>()
    for (const record of records) keyed.set(keyOf(record), [...(keyed.get(keyOf(record)) ?? []), record])
    return keyed
  }
  expect(byKey(seen)).toEqual(byKey(run.order))
  const last = run.stats.at(-1)
  if (last !== undefined) expect(last).toEqual({ openBatches: 0, bufferedRecords: 0 })
}

function checkErrored(run: Run): void {
  expect(run.end?.kind).toBe('error')
  const seen = run.emitted.flatMap(({ batch }) => batch.records)
  expect(new Set(seen).size).toBe(seen.length)
  for (const record of seen) expect(run.arrivals.has(record)).toBe(true)
  for (const { at } of run.emitted) expect(at).toBeLessThanOrEqual(run.end!.at)
}

const property = fc.property(scenarioArb, (scenario) => {
  const run = runScenario(scenario)
  checkBatches(run, scenario.options)
  if (scenario.ending === 'complete') checkCompleted(run)
  else checkErrored(run)
})

describe('batchAttendance properties', () => {
  it('hold over fast-check’s default runs', () => {
    fc.assert(property)
  })

  it('hold over a seeded long run', () => {
    fc.assert(property, { numRuns: 2000, seed: 20_261_129 })
  })
})
