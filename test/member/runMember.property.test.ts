import fc from 'fast-check'
import { Observable, type OperatorFunction, VirtualAction, VirtualTimeScheduler } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { failure, type Outcome, result, skipped } from '../../src/member/outcome.js'
import { type Member, runMember } from '../../src/member/runMember.js'
import { isLive, type Lease, type SourceRecord } from '../../src/member/sourceRecord.js'
import { createFakeKafka, type FakeKafka, fakeRecords } from '../../src/testing/fakeKafka.js'

/**
 * Members of one group on the in-memory port, driven by seeded random schedules in virtual time: fetches,
 * completions in any order, produce failures, timer ticks, members joining, stopping and being killed (and
 * replaced). After every step:
 * - no committed offset passes a record that has no outcome (written, or skipped while its lease was live);
 * - a member never hands a record to its flow twice while the first hand-over's lease is live (a kept
 *   partition's in-flight or done records are turned away when the client refetches them).
 * At the end (no more kills; the flows answer), every record has an outcome and every partition is committed
 * to its end, within a bounded number of steps: no member stalls.
 */

const TOPIC = 'in'
const PARTITIONS = 4
const RUNS = Number(process.env.MEMBER_PROPERTY_RUNS ?? 1_000)

type Step =
  | { readonly kind: 'deliver'; readonly member: number; readonly pick: number; readonly max: number }
  | { readonly kind: 'complete'; readonly member: number; readonly pick: number; readonly count: number }
  | { readonly kind: 'tick'; readonly ms: number }
  | { readonly kind: 'join' }
  | { readonly kind: 'kill'; readonly member: number }
  | { readonly kind: 'stop'; readonly member: number }
  | { readonly kind: 'rebalance' }
  | { readonly kind: 'failSends'; readonly n: number }

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('deliver' as const),
      member: fc.nat(5),
      pick: fc.nat(7),
      max: fc.integer({ min: 1, max: 12 }),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('complete' as const),
      member: fc.nat(5),
      pick: fc.nat(),
      count: fc.integer({ min: 1, max: 8 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 1_500 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'join' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('kill' as const), member: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stop' as const), member: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'rebalance' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('failSends' as const), n: fc.integer({ min: 1, max: 3 }) }),
  },
)

/** What each record's flow says: a fixed choice per offset, so repeats of a record are alike. */
const outcomeFor = (record: SourceRecord): Outcome => {
  const n = Number(record.offset) % 5
  if (n === 0) return skipped(record, 'every fifth')
  if (n === 1) return failure(record, { code: 'BAD' })
  return result(record, { ok: record.offset })
}

/** A flow that holds what it is given until the schedule answers, in any order; answers all when its input ends. */
interface HeldFlow {
  readonly flow: OperatorFunction<SourceRecord, Outcome>
  readonly held: SourceRecord[]
  answer(pick: number, count: number): void
}

const heldFlow = (onSkip: (record: SourceRecord) => void): HeldFlow => {
  const held: SourceRecord[] = []
  let emit: ((record: SourceRecord) => void) | undefined
  const send = (record: SourceRecord, next: (o: Outcome) => void) => {
    const outcome = outcomeFor(record)
    // The member accepts a Skipped only while the lease is live; that is when the record counts as done.
    if (outcome._tag === 'Skipped' && isLive(record)) onSkip(record)
    next(outcome)
  }
  const flow: OperatorFunction<SourceRecord, Outcome> = (records) =>
    new Observable<Outcome>((subscriber) => {
      emit = (record) => send(record, (o) => subscriber.next(o))
      return records.subscribe({
        next: (record) => held.push(record),
        error: (e) => subscriber.error(e),
        complete: () => {
          for (const record of held.splice(0)) send(record, (o) => subscriber.next(o))
          subscriber.complete()
        },
      })
    })
  return {
    flow,
    held,
    answer: (pick, count) => {
      for (let i = 0; i < count && held.length > 0; i++) {
        const [record] = held.splice((pick + i * 7) % held.length, 1)
        if (record !== undefined) emit?.(record)
      }
    },
  }
}

interface RunningMember {
  readonly id: string
  readonly member: Member
  readonly flow: HeldFlow
  /** Lease of every record handed to this member's flow, by `partition/offset`. */
  readonly handed: Map<string, Lease | undefined>
  alive: boolean
  /** Set when the schedule stopped it gracefully: its drain must write everything it held. */
  stopped?: Promise<void>
}

const settle = () => new Promise((resolve) => setImmediate(resolve))

const advance = (scheduler: VirtualTimeScheduler, ms: number) => {
  const until = scheduler.frame + ms
  scheduler.maxFrames = until
  scheduler.flush()
  scheduler.frame = until
}

const runSchedule = async (recordsPerPartition: readonly number[], steps: readonly Step[]) => {
  const topics = { [TOPIC]: recordsPerPartition.map((n) => fakeRecords(n)) }
  const kafka: FakeKafka = createFakeKafka({ topics })
  const scheduler = new VirtualTimeScheduler(VirtualAction, Number.POSITIVE_INFINITY)
  const skippedDone = new Set<string>()
  const members: RunningMember[] = []
  let nextId = 0
  let violation: string | undefined

  const start = () => {
    const id = `m${nextId++}`
    const handed = new Map<string, Lease | undefined>()
    const flow = heldFlow((record) => skippedDone.add(`${record.partition}/${record.offset}`))
    const watched: OperatorFunction<SourceRecord, Outcome> = (records) =>
      flow.flow(
        new Observable<SourceRecord>((subscriber) =>
          records.subscribe({
            next: (record) => {
              const key = `${record.partition}/${record.offset}`
              const before = handed.get(key)
              if (handed.has(key) && before?.revoked !== true) {
                violation ??= `${id} was handed ${key} twice under a live lease`
              }
              handed.set(key, record.lease)
              subscriber.next(record)
            },
            error: (e) => subscriber.error(e),
            complete: () => subscriber.complete(),
          }),
        ),
      )
    const member = runMember({
      kafka: kafka.port(id),
      inputTopics: [TOPIC],
      outcomeTopics: { results: 'results', errors: 'errors' },
      flow: watched,
      limits: { maxInFlightRecords: 16, commitIntervalMs: 200, shutdownTimeoutMs: 5_000 },
      produce: { lingerMs: 2, retryDelayMs: 50, maxRetryDelayMs: 400 },
      scheduler,
    })
    member.done.catch((e: unknown) => {
      violation ??= `${id} failed: ${e instanceof Error ? e.message : String(e)}`
    })
    members.push({ id, member, flow, handed, alive: true })
  }
  const alive = () => members.filter((m) => m.alive)
  const nth = (n: number) => {
    const list = alive()
    return list.length === 0 ? undefined : list[n % list.length]
  }

  const withOutcome = (): Set<string> => {
    const done = new Set(skippedDone)
    for (const m of kafka.written())
      done.add(`${m.headers['source-partition']}/${m.headers['source-offset']}`)
    return done
  }
  const check = () => {
    expect(violation).toBeUndefined()
    const done = withOutcome()
    for (const [tp, committed] of kafka.committed()) {
      const partition = Number(tp.split('/')[1])
      for (let offset = 0n; offset < committed; offset++) {
        if (!done.has(`${partition}/${offset}`)) {
          throw new Error(
            `partition ${partition} committed ${committed} past ${offset}, which has no outcome`,
          )
        }
      }
    }
  }

  start()
  await settle()
  for (const step of steps) {
    switch (step.kind) {
      case 'deliver': {
        const m = nth(step.member)
        if (m !== undefined) kafka.deliver(m.id, (n) => step.pick % n, step.max)
        break
      }
      case 'complete':
        nth(step.member)?.flow.answer(step.pick, step.count)
        break
      case 'tick':
        advance(scheduler, step.ms)
        break
      case 'join':
        if (alive().length < 3) start()
        break
      case 'kill': {
        const m = nth(step.member)
        if (m !== undefined) {
          m.alive = false
          await kafka.kill(m.id)
        }
        break
      }
      case 'stop': {
        const m = nth(step.member)
        if (m !== undefined && alive().length > 1) {
          m.alive = false
          m.stopped = m.member.stop()
        }
        break
      }
      case 'rebalance':
        await kafka.rebalance()
        break
      case 'failSends':
        kafka.failSends(step.n)
        break
    }
    await settle()
    check()
  }

  // The calm end: no more kills; every flow answers; time passes. Everything must finish.
  if (alive().length === 0) start()
  const total = recordsPerPartition.reduce((a, b) => a + b, 0)
  const finished = () => {
    const committed = kafka.committed()
    return (
      withOutcome().size === total &&
      recordsPerPartition.every((n, p) => n === 0 || committed.get(`${TOPIC}/${p}`) === BigInt(n))
    )
  }
  for (let round = 0; round < 400 && !finished(); round++) {
    for (const m of alive()) {
      while (kafka.deliver(m.id, () => 0, 50) > 0) await settle()
      m.flow.answer(0, m.flow.held.length)
    }
    await settle()
    advance(scheduler, 300)
    await settle()
    check()
  }
  if (!finished()) {
    const committed = Object.fromEntries(kafka.committed())
    throw new Error(
      `stalled: ${withOutcome().size} of ${total} records have outcomes; committed ${JSON.stringify(committed, (_, v) => (typeof v === 'bigint' ? String(v) : v))}; members ${alive().map((m) => `${m.id}:${JSON.stringify(m.member.metrics())}`)}`,
    )
  }
  for (const m of alive()) m.stopped = m.member.stop()
  for (let i = 0; i < 20; i++) {
    advance(scheduler, 1_000)
    await settle()
  }
  check()
  // A graceful stop drains: what the flow held is written and nothing is left in flight.
  for (const m of members.filter((x) => x.stopped !== undefined)) {
    await m.stopped
    expect(m.member.metrics().inFlight, `${m.id} stopped with records unfinished`).toBe(0)
  }
  return { members: members.length }
}

describe('runMember under random rebalance schedules (fake port, virtual time)', () => {
  it(`keeps commits safe, never hands a live record twice, and never stalls (${RUNS} seeded runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: PARTITIONS, maxLength: PARTITIONS }),
        fc.array(stepArb, { minLength: 1, maxLength: 120 }),
        async (records, steps) => {
          await runSchedule(records, steps)
        },
      ),
      { numRuns: RUNS, seed: Number(process.env.MEMBER_PROPERTY_SEED ?? 20261202) },
    )
  }, 600_000)
})
