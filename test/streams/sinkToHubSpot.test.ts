import { EMPTY, firstValueFrom, from, lastValueFrom, Subject, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import type { AttendanceBatch } from '../../src/codecs/attendanceBatch.js'
import type { AttendanceRecord } from '../../src/codecs/attendanceRecord.js'
import { AttendanceStreamError } from '../../src/errors.js'
import type { HubSpotSink } from '../../src/sinks/hubspotSink.js'
import { SinkMetrics } from '../../src/sinks/sinkMetrics.js'
import type { SinkOutcome } from '../../src/sinks/sinkOutcome.js'
import { sinkToHubSpot } from '../../src/streams/sinkToHubSpot.js'

// The operator is a thin adapter: a stub sink stands in for the real one (tested in test/sinks).

const record = (offset: number): AttendanceRecord => ({
  account: 'default',
  event: { kind: 'external', externalEventId: 'expo' },
  subscriberState: 'attend',
  contact: { vid: offset + 1 },
  interactionDateTime: 0,
  properties: {},
  contactProperties: {},
  origin: { type: 'badge.scanned', id: String(offset) },
  source: { topic: 't', partition: 0, offset: String(offset), timestamp: '0', key: null, value: null },
})

const batch = (id: string, offsets: number[]): AttendanceBatch => ({
  id,
  key: {
    account: 'default',
    event: { kind: 'external', externalEventId: 'expo' },
    subscriberState: 'attend',
    contactKind: 'vid',
  },
  inputs: offsets.map((o) => ({ vid: o + 1, interactionDateTime: 0, properties: {} })),
  records: offsets.map(record),
  bytes: 0,
  openedAt: 0,
  closedAt: 0,
})

const recorded = (b: AttendanceBatch): SinkOutcome[] =>
  b.records.map((r) => ({
    _tag: 'Recorded',
    record: r,
    batchId: b.id,
    batchSize: b.inputs.length,
    attempts: 1,
    sentAt: 0,
    completedAt: 0,
    hubspotStatus: 'COMPLETE',
  }))

const stubSink = (send: HubSpotSink['send']): HubSpotSink => ({
  send,
  capacity: { available: () => Number.POSITIVE_INFINITY, changes: EMPTY },
  requestsPerWindow: () => new Map(),
  setShare() {},
  metrics: new SinkMetrics(),
  gateTransitions: EMPTY,
  health: () => [],
  async close() {},
})

const deferred = <T>() => {
  let resolve: (v: T) => void = () => {}
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

describe('sinkToHubSpot', () => {
  it('emits one outcome per source record, batch by batch, and completes after the source', async () => {
    const sink = stubSink(async (b) => recorded(b))
    const out = await lastValueFrom(
      from([batch('A', [0, 1]), batch('B', [2])]).pipe(sinkToHubSpot(sink), toArray()),
    )
    expect(out.map((o) => [o.batchId, o.record.source.offset])).toEqual([
      ['A', '0'],
      ['A', '1'],
      ['B', '2'],
    ])
  })

  it('completes at once on an empty source', async () => {
    const sink = stubSink(async () => {
      throw new Error('not called')
    })
    expect(await lastValueFrom(from([] as AttendanceBatch[]).pipe(sinkToHubSpot(sink), toArray()))).toEqual(
      [],
    )
  })

  it('errors the stream on an infrastructure fault from the sink', async () => {
    const fault = new AttendanceStreamError('HUBSPOT_UNAUTHENTICATED', 'HubSpot did not accept the token')
    const sink = stubSink(async () => {
      throw fault
    })
    await expect(lastValueFrom(from([batch('A', [0])]).pipe(sinkToHubSpot(sink)))).rejects.toBe(fault)
  })

  it('hands at most `concurrency` batches to the sink at once', async () => {
    const gates: { b: AttendanceBatch; done: (o: SinkOutcome[]) => void }[] = []
    const sink = stubSink((b) => {
      const d = deferred<SinkOutcome[]>()
      gates.push({ b, done: d.resolve })
      return d.promise
    })
    const source = new Subject<AttendanceBatch>()
    const seen: string[] = []
    source.pipe(sinkToHubSpot(sink, { concurrency: 2 })).subscribe((o) => seen.push(o.batchId))
    for (const id of ['A', 'B', 'C']) source.next(batch(id, [0]))
    expect(gates.map((g) => g.b.id)).toEqual(['A', 'B'])
    gates[1]?.done(recorded(gates[1].b))
    await Promise.resolve()
    await Promise.resolve()
    expect(seen).toEqual(['B'])
    expect(gates.map((g) => g.b.id)).toEqual(['A', 'B', 'C'])
  })

  it('aborts the batches in progress when unsubscribed', async () => {
    const signals: AbortSignal[] = []
    const sink = stubSink((_, opts) => {
      if (opts?.signal !== undefined) signals.push(opts.signal)
      return new Promise<SinkOutcome[]>((_, reject) =>
        opts?.signal?.addEventListener('abort', () => reject(opts.signal?.reason)),
      )
    })
    const subscription = from([batch('A', [0])])
      .pipe(sinkToHubSpot(sink))
      .subscribe()
    expect(signals.map((s) => s.aborted)).toEqual([false])
    subscription.unsubscribe()
    expect(signals[0]?.reason).toMatchObject({ code: 'SINK_CLOSED' })
  })

  it('emits nothing while the sink holds a batch (e.g. a daily-limit wait)', async () => {
    const sink = stubSink(() => new Promise<SinkOutcome[]>(() => {}))
    const first = firstValueFrom(from([batch('A', [0])]).pipe(sinkToHubSpot(sink)))
    const winner = await Promise.race([first.then(() => 'outcome'), Promise.resolve('still waiting')])
    expect(winner).toBe('still waiting')
  })

  it('refuses a concurrency below 1', () => {
    expect(() =>
      sinkToHubSpot(
        stubSink(async () => []),
        { concurrency: 0 },
      ),
    ).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
  })
})
