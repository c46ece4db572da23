import { map, Observable, type OperatorFunction, Subject, VirtualAction, VirtualTimeScheduler } from 'rxjs'
import { describe, expect, it } from 'vitest'
import type { MemberEvent } from '../../src/member/memberEvents.js'
import { failure, type Outcome, result, skipped } from '../../src/member/outcome.js'
import { type MemberLogger, type MemberOptions, runMember } from '../../src/member/runMember.js'
import type { SourceRecord } from '../../src/member/sourceRecord.js'
import { createFakeKafka, fakeRecords } from '../../src/testing/fakeKafka.js'

const settle = () => new Promise((resolve) => setImmediate(resolve))
/** Moves virtual time on in 10 ms steps, letting promises (sends, commits) settle between them. */
const advance = async (scheduler: VirtualTimeScheduler, ms: number) => {
  const until = scheduler.frame + ms
  while (scheduler.frame < until) {
    const next = Math.min(until, scheduler.frame + 10)
    scheduler.maxFrames = next
    scheduler.flush()
    scheduler.frame = next
    await settle()
  }
}

/** A flow that keeps what it is given until the test answers it. */
const holdingFlow = () => {
  const held = new Subject<SourceRecord>()
  const given: SourceRecord[] = []
  const answers = new Subject<Outcome>()
  let completeInput: (() => void) | undefined
  const flow: OperatorFunction<SourceRecord, Outcome> = (records) =>
    new Observable<Outcome>((subscriber) => {
      const out = answers.subscribe(subscriber)
      const input = records.subscribe({
        next: (r) => {
          given.push(r)
          held.next(r)
        },
        complete: () => completeInput?.(),
      })
      completeInput = () => {
        for (const r of given.splice(0)) subscriber.next(result(r, { offset: r.offset }))
        subscriber.complete()
      }
      return () => {
        out.unsubscribe()
        input.unsubscribe()
      }
    })
  return { flow, given, answer: (o: Outcome) => answers.next(o) }
}

const recordingLogger = () => {
  const lines: { level: string; msg: string; fields?: Readonly<Record<string, unknown>> }[] = []
  const logger: MemberLogger = {
    info: (msg, fields) => lines.push({ level: 'info', msg, ...(fields ? { fields } : {}) }),
    warn: (msg, fields) => lines.push({ level: 'warn', msg, ...(fields ? { fields } : {}) }),
    error: (msg, fields) => lines.push({ level: 'error', msg, ...(fields ? { fields } : {}) }),
  }
  return { logger, lines }
}

const setup = (
  partitions: number[],
  flow: OperatorFunction<SourceRecord, Outcome>,
  overrides: Partial<MemberOptions> = {},
) => {
  const kafka = createFakeKafka({ topics: { in: partitions.map((n) => fakeRecords(n)) } })
  const scheduler = new VirtualTimeScheduler(VirtualAction, Number.POSITIVE_INFINITY)
  const { logger, lines } = recordingLogger()
  const events: MemberEvent[] = []
  const start = (id: string, memberFlow = flow) => {
    const member = runMember({
      kafka: kafka.port(id),
      inputTopics: ['in'],
      outcomeTopics: { results: 'results', errors: 'errors' },
      flow: memberFlow,
      limits: { commitIntervalMs: 100, maxInFlightRecords: 100, stallWarningMs: 5_000 },
      produce: { lingerMs: 1 },
      scheduler,
      logger,
      ...overrides,
    })
    member.events.subscribe((e) => events.push(e))
    return member
  }
  return { kafka, scheduler, lines, events, start }
}

describe('runMember', () => {
  it('writes one outcome per record, commits skipped and failed records like any other, and stops cleanly', async () => {
    const flow: OperatorFunction<SourceRecord, Outcome> = map((r) => {
      const n = Number(r.offset)
      if (n === 1) return skipped(r, 'not ours')
      if (n === 2) return failure(r, { code: 'BAD', why: 'two' })
      return result(r, { offset: r.offset })
    })
    const { kafka, scheduler, start } = setup([4], flow)
    const member = start('a')
    await settle()
    kafka.deliver('a', () => 0, 10)
    await advance(scheduler, 200)
    expect(kafka.written().map((m) => [m.topic, m.headers['source-offset'], m.value])).toEqual([
      ['results', '0', '{"offset":"0"}'],
      ['errors', '2', '{"code":"BAD","why":"two"}'],
      ['results', '3', '{"offset":"3"}'],
    ])
    expect(kafka.written()[1]?.headers).toEqual({
      'source-topic': 'in',
      'source-partition': '0',
      'source-offset': '2',
      'error-code': 'BAD',
    })
    expect(kafka.committed().get('in/0')).toBe(4n)
    expect(member.metrics()).toMatchObject({ recordsIn: 4, results: 2, errors: 1, skipped: 1, inFlight: 0 })
    const stopped = member.stop()
    await advance(scheduler, 10)
    await stopped
    expect(kafka.members()).toEqual([])
  })

  it('on stop, writes and commits what the flow still held and gives when its input ends', async () => {
    const { flow, given, answer } = holdingFlow()
    const { kafka, scheduler, start, lines } = setup([5], flow)
    const a = start('a')
    await settle()
    kafka.deliver('a', () => 0, 5)
    answer(result(given.shift() as SourceRecord, {}))
    await advance(scheduler, 150)
    const stopped = a.stop()
    await advance(scheduler, 50)
    await stopped
    expect(kafka.written().map((m) => m.headers['source-offset'])).toEqual(['0', '1', '2', '3', '4'])
    expect(kafka.committed().get('in/0')).toBe(5n)
    expect(a.metrics().inFlight).toBe(0)
    expect(lines.some((l) => l.msg.startsWith('drain timed out'))).toBe(false)
  })

  it('keeps a kept partition through a rebalance: refetched records are turned away, not done twice', async () => {
    const { flow, given, answer } = holdingFlow()
    const { kafka, scheduler, start } = setup([10, 10], flow)
    const a = start('a')
    await settle()
    kafka.deliver('a', () => 0, 6) // in/0 @0..5 in flight
    answer(result(given[0] as SourceRecord, {}))
    await advance(scheduler, 150) // @0 written and committed
    expect(kafka.committed().get('in/0')).toBe(1n)

    start('b') // joins: the group rebalances, a keeps in/0 and gives in/1 away
    await settle()
    expect(kafka.assignment('a')).toEqual([{ topic: 'in', partition: 0 }])
    // The client fetches in/0 again from the committed offset 1: @1..5 are in flight here already.
    expect(kafka.deliver('a', () => 0, 10)).toBe(9)
    expect(given.map((r) => r.offset)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
    expect(a.metrics().refetchedSkipped).toBe(5)
  })

  it('skips, on a partition it gets, what the previous holder marked as done in its last commit', async () => {
    const { flow, given, answer } = holdingFlow()
    const { kafka, scheduler, start } = setup([10], flow)
    start('a')
    await settle()
    kafka.deliver('a', () => 0, 10)
    // Out of order: everything but offsets 2 and 5 is done; the commit can only say 2, plus marks.
    for (const record of given.filter((r) => r.offset !== '2' && r.offset !== '5')) answer(result(record, {}))
    await advance(scheduler, 150)
    expect(kafka.committed().get('in/0')).toBe(2n)
    await kafka.kill('a')
    given.length = 0
    const b = start('b')
    await settle()
    await settle()
    kafka.deliver('b', () => 0, 10)
    expect(given.map((r) => r.offset)).toEqual(['2', '5'])
    expect(b.metrics()).toMatchObject({ doneElsewhere: 6, recordsIn: 2 })
    answer(result(given[0] as SourceRecord, {}))
    answer(result(given[1] as SourceRecord, {}))
    await advance(scheduler, 150)
    expect(kafka.committed().get('in/0')).toBe(10n)
  })

  it('abandons the unfinished records of a revoked partition at once, drops their late outcomes, and says so', async () => {
    const { flow, given, answer } = holdingFlow()
    const { kafka, scheduler, start, lines, events } = setup([0, 5], flow)
    const a = start('a')
    await settle()
    kafka.deliver('a', () => 0, 5) // in/1 @0..4
    start('b') // ids sort a < b: round robin gives in/0 to a and in/1 to b
    await settle()
    expect(a.metrics()).toMatchObject({ abandoned: 5, inFlight: 0 })
    expect(given.every((r) => r.lease?.revoked === true)).toBe(true)
    expect(lines.find((l) => l.level === 'warn')).toEqual({
      level: 'warn',
      msg: 'abandoned unfinished records of revoked partitions; their new owner redoes them',
      fields: { records: 5, partitions: ['in/1'] },
    })
    expect(events.find((e) => e.type === 'abandoned')).toEqual({
      type: 'abandoned',
      partitions: [{ topic: 'in', partition: 1 }],
      records: 5,
    })
    answer(result(given[0] as SourceRecord, {}))
    await advance(scheduler, 150)
    expect(kafka.written()).toEqual([])
    expect(a.metrics().droppedAfterRevoke).toBe(1)
  })

  it('warns once per stuck offset when a partition stops advancing, with the offset it waits for', async () => {
    const { flow, given, answer } = holdingFlow()
    const { kafka, scheduler, start, lines, events } = setup([3], flow)
    const a = start('a')
    await settle()
    kafka.deliver('a', () => 0, 3)
    answer(result(given[1] as SourceRecord, {}))
    await advance(scheduler, 5_100)
    await advance(scheduler, 5_100)
    const stalls = lines.filter((l) => l.msg.startsWith('partition is not advancing'))
    expect(stalls).toHaveLength(1)
    expect(stalls[0]?.fields).toMatchObject({ topic: 'in', partition: 0, offset: '0', inFlight: 2 })
    expect(events.filter((e) => e.type === 'stalled')).toHaveLength(1)
    expect(a.metrics().stalledPartitions).toBe(1)
    answer(result(given[0] as SourceRecord, {}))
    answer(result(given[2] as SourceRecord, {}))
    await advance(scheduler, 200)
    expect(a.metrics().stalledPartitions).toBe(0)
    expect(kafka.committed().get('in/0')).toBe(3n)
  })

  it('pauses at maxInFlightRecords and resumes at half', async () => {
    const { flow, given, answer } = holdingFlow()
    const { kafka, scheduler, start } = setup([10], flow, {
      limits: { maxInFlightRecords: 4, commitIntervalMs: 100 },
    })
    const a = start('a')
    await settle()
    expect(kafka.deliver('a', () => 0, 10)).toBe(4)
    expect(kafka.paused('a')).toBe(true)
    expect(kafka.deliver('a', () => 0, 10)).toBe(0)
    answer(result(given[0] as SourceRecord, {}))
    await advance(scheduler, 10)
    expect(kafka.paused('a')).toBe(true) // 3 in flight: above half
    answer(result(given[1] as SourceRecord, {}))
    await advance(scheduler, 10)
    expect(kafka.paused('a')).toBe(false)
    expect(a.metrics().inFlight).toBe(2)
  })

  it('rides out failed produce requests: the outcome is written once Kafka takes it, and only then committed; not ready meanwhile', async () => {
    const { kafka, scheduler, start, lines } = setup(
      [2],
      map((r) => result(r, {})),
      {
        produce: { lingerMs: 1, retryDelayMs: 100, maxRetryDelayMs: 100 },
      },
    )
    const a = start('a')
    await settle()
    expect(a.notReadyBecause()).toBeUndefined()
    kafka.failSends(3)
    kafka.deliver('a', () => 0, 2)
    await advance(scheduler, 150)
    expect(kafka.committed().get('in/0')).toBeUndefined()
    // Kafka does not take outcomes: the member is not doing its job, and says so.
    expect(a.ready()).toBe(false)
    expect(a.notReadyBecause()).toMatch(/^writing outcome records to Kafka failed [12] times? in a row: /)
    await advance(scheduler, 400)
    expect(kafka.written()).toHaveLength(2)
    expect(kafka.committed().get('in/0')).toBe(2n)
    expect(a.ready()).toBe(true)
    expect(a.metrics().produceRetries).toBe(3)
    expect(lines.filter((l) => l.msg === 'writing outcome records failed; trying again')).toHaveLength(3)
    expect(lines.filter((l) => l.msg === 'writing outcome records works again')).toEqual([
      { level: 'info', msg: 'writing outcome records works again', fields: { failedAttempts: 3 } },
    ])
  })

  it('stops with the fault when the flow errors, after committing what is finished', async () => {
    const source = new Subject<Outcome>()
    const flow: OperatorFunction<SourceRecord, Outcome> = (records) =>
      new Observable<Outcome>((subscriber) => {
        const out = source.subscribe(subscriber)
        const input = records.subscribe((r) => {
          if (r.offset === '0') subscriber.next(result(r, {}))
          else subscriber.error(new Error('HubSpot said 401'))
        })
        return () => {
          out.unsubscribe()
          input.unsubscribe()
        }
      })
    const { kafka, scheduler, start, events } = setup([3], flow)
    const a = start('a')
    await settle()
    kafka.deliver('a', () => 0, 1)
    await advance(scheduler, 10)
    kafka.deliver('a', () => 0, 1)
    await advance(scheduler, 10)
    await expect(a.done).rejects.toThrow('HubSpot said 401')
    expect(kafka.committed().get('in/0')).toBe(1n)
    expect(events.at(-1)).toEqual({ type: 'stopped', reason: 'error' })
  })

  it('stops with an INTERNAL fault when the flow answers a record twice', async () => {
    const flow: OperatorFunction<SourceRecord, Outcome> = (records) =>
      new Observable<Outcome>((subscriber) =>
        records.subscribe((r) => {
          subscriber.next(skipped(r, 'once'))
          subscriber.next(skipped(r, 'twice'))
        }),
      )
    const { kafka, start } = setup([1], flow)
    const a = start('a')
    await settle()
    kafka.deliver('a', () => 0, 1)
    await expect(a.done).rejects.toMatchObject({ code: 'INTERNAL' })
  })

  it('names every missing input topic and fails before joining', async () => {
    const { kafka, start } = setup(
      [1],
      map((r) => result(r, {})),
      { inputTopics: ['in', 'nope', 'gone'] },
    )
    const a = start('a')
    await expect(a.done).rejects.toThrow('input topics do not exist: nope, gone')
    expect(kafka.members()).toEqual([])
  })

  it('gives up on unfinished work when the drain outlasts its timeout, committing only what finished', async () => {
    const { flow: holding, given, answer } = holdingFlow()
    // A flow that never completes when its input does: the drain can only end by the timeout.
    const stuck: OperatorFunction<SourceRecord, Outcome> = (records) =>
      holding(new Observable<SourceRecord>((s) => records.subscribe((r) => s.next(r))))
    const { kafka, scheduler, start, lines } = setup([3], stuck)
    const a = start('a')
    await settle()
    kafka.deliver('a', () => 0, 3)
    answer(result(given[0] as SourceRecord, {}))
    await advance(scheduler, 10)
    const stopped = a.stop({ timeoutMs: 1_000 })
    await advance(scheduler, 1_001)
    await stopped
    expect(lines.some((l) => l.msg === 'drain timed out; committing only finished work')).toBe(true)
    expect(kafka.committed().get('in/0')).toBe(1n)
    await expect(a.done).resolves.toBeUndefined()
  })
})
