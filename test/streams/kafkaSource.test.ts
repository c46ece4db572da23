import type { Consumer, EachBatchPayload } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import type { KafkaRecord } from '../../src/codecs/attendanceRecord.js'
import { createKafkaSource } from '../../src/streams/kafkaSource.js'
import { OffsetTracker } from '../../src/streams/offsetTracker.js'

/** Just enough of a kafkajs consumer to drive the source: batches and group events are pushed by the test. */
const fakeConsumer = () => {
  const handlers = new Map<string, ((event: { payload: unknown }) => void)[]>()
  let eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined
  const calls: string[] = []
  const consumer = {
    events: { GROUP_JOIN: 'group_join', REBALANCING: 'rebalancing', CRASH: 'crash' },
    on: (event: string, handler: (event: { payload: unknown }) => void) => {
      handlers.set(event, [...(handlers.get(event) ?? []), handler])
      return () =>
        handlers.set(
          event,
          (handlers.get(event) ?? []).filter((h) => h !== handler),
        )
    },
    connect: async () => void calls.push('connect'),
    subscribe: async () => void calls.push('subscribe'),
    run: async (config: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) => {
      eachBatch = config.eachBatch
    },
    pause: () => void calls.push('pause'),
    resume: () => void calls.push('resume'),
    commitOffsets: async () => void calls.push('commit'),
    disconnect: async () => void calls.push('disconnect'),
  }
  const emit = (event: string, payload: unknown) => {
    for (const handler of handlers.get(event) ?? []) handler({ payload })
  }
  /** Delivers offsets `from…to` of a partition as one batch; returns the offsets the source resolved. */
  const deliver = async (partition: number, from: number, to: number): Promise<string[]> => {
    const resolved: string[] = []
    const messages = []
    for (let o = from; o <= to; o++) {
      messages.push({ offset: String(o), timestamp: '0', key: null, value: Buffer.from('{}'), headers: {} })
    }
    await eachBatch?.({
      batch: { topic: 'scans', partition, highWatermark: String(to + 1), messages },
      resolveOffset: (offset: string) => void resolved.push(offset),
      heartbeat: async () => undefined,
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload)
    return resolved
  }
  return {
    consumer: consumer as unknown as Consumer,
    calls,
    emit,
    deliver,
    ready: () => eachBatch !== undefined,
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('createKafkaSource', () => {
  it('hands over records tracked and resolved, pauses mid-batch at the high-water mark, resumes at half', async () => {
    const fake = fakeConsumer()
    const tracker = new OffsetTracker()
    const source = createKafkaSource({
      consumer: fake.consumer,
      topics: ['scans'],
      tracker,
      maxInFlightRecords: 4,
    })
    const seen: KafkaRecord[] = []
    source.records.subscribe((r) => seen.push(r))
    await settle()
    expect(fake.calls).toEqual(['connect', 'subscribe'])

    // Six records arrive; only four may be in flight: the last two stay unresolved, to be fetched again.
    expect(await fake.deliver(0, 10, 15)).toEqual(['10', '11', '12', '13'])
    expect(seen.map((r) => r.offset)).toEqual(['10', '11', '12', '13'])
    expect(tracker.inFlight).toBe(4)
    expect(source.paused()).toBe(true)
    expect(fake.calls.at(-1)).toBe('pause')

    tracker.complete('scans', 0, '10')
    source.relieve()
    expect(source.paused()).toBe(true) // 3 in flight: above half of 4
    tracker.complete('scans', 0, '11')
    source.relieve()
    expect(source.paused()).toBe(false)
    expect(fake.calls.at(-1)).toBe('resume')
  })

  it('resumes after a rebalance forgets the records it was paused for', async () => {
    const fake = fakeConsumer()
    const tracker = new OffsetTracker()
    const source = createKafkaSource({
      consumer: fake.consumer,
      topics: ['scans'],
      tracker,
      maxInFlightRecords: 2,
    })
    source.records.subscribe()
    await settle()
    await fake.deliver(1, 0, 5)
    expect(source.paused()).toBe(true)
    fake.emit('group_join', { memberAssignment: { scans: [1, 2] } })
    expect(tracker.inFlight).toBe(0)
    expect(source.paused()).toBe(false)
    expect(source.assignment()).toEqual([
      { topic: 'scans', partition: 1 },
      { topic: 'scans', partition: 2 },
    ])
    // The partition restarts from its committed offset: the same offsets are tracked again, in a new epoch.
    expect(await fake.deliver(1, 0, 0)).toEqual(['0'])
  })

  it('completes at once when told to stop before anyone subscribed, and pauses when stopped later', async () => {
    const early = fakeConsumer()
    const stopped = createKafkaSource({
      consumer: early.consumer,
      topics: ['scans'],
      tracker: new OffsetTracker(),
    })
    stopped.stopFetching()
    let completed = false
    stopped.records.subscribe({
      complete: () => {
        completed = true
      },
    })
    expect(completed).toBe(true)
    expect(early.calls).not.toContain('connect')

    const fake = fakeConsumer()
    const source = createKafkaSource({
      consumer: fake.consumer,
      topics: ['scans'],
      tracker: new OffsetTracker(),
    })
    let done = false
    const seen: string[] = []
    source.records.subscribe({
      next: (r) => seen.push(r.offset),
      complete: () => {
        done = true
      },
    })
    await settle()
    await fake.deliver(0, 0, 1)
    source.stopFetching()
    expect(done).toBe(true)
    expect(fake.calls).toContain('pause')
    expect(await fake.deliver(0, 2, 3)).toEqual([]) // nothing more is handed over or resolved
    expect(seen).toEqual(['0', '1'])
  })
})
