import { inspect } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { createHubSpotClient, type HubSpotClient } from '../../src/sinks/hubspot/client.js'
import { createHubSpotSink, type HubSpotSinkOptions } from '../../src/sinks/hubspotSink.js'
import type { SinkOutcome } from '../../src/sinks/sinkOutcome.js'
import {
  type HubSpotSimulator,
  type HubSpotSimulatorOptions,
  maxInWindow,
  startHubSpotSimulator,
} from '../../src/testing/simulator/index.js'
import { type AcceleratedClock, acceleratedClock } from './acceleratedClock.js'
import { scanBatch, seededRandom } from './sinkFixtures.js'

// The sink against the real simulator over HTTP on 127.0.0.1, in accelerated time: the simulator's clock and the
// sink's scheduler run FACTOR times faster than the wall clock, so a 30-second outage takes 1.5 s.

const FACTOR = 20

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
})

interface Rig {
  readonly sim: HubSpotSimulator
  readonly clock: AcceleratedClock
  readonly client: (token?: string) => HubSpotClient
}

const rig = async (options: HubSpotSimulatorOptions = {}, clock = acceleratedClock(FACTOR)): Promise<Rig> => {
  const sim = await startHubSpotSimulator({ events: 'auto', contacts: 'auto', now: clock.now, ...options })
  cleanup.push(() => sim.stop())
  const client = (token = sim.token): HubSpotClient => {
    const c = createHubSpotClient({ baseUrl: sim.url, token, now: clock.now })
    cleanup.push(() => c.close())
    return c
  }
  return { sim, clock, client }
}

const sinkOn = (r: Rig, options: Partial<HubSpotSinkOptions> = {}, token?: string) => {
  const sink = createHubSpotSink({
    client: r.client(token),
    scheduler: r.clock.scheduler,
    random: seededRandom(7),
    ...options,
  })
  cleanup.push(() => sink.close())
  return sink
}

const count = (outcomes: readonly SinkOutcome[]) => {
  const c = { Recorded: 0, Rejected: 0, Failed: 0 }
  for (const o of outcomes) c[o._tag] += 1
  return c
}

const vidOf = (o: SinkOutcome): number => ('vid' in o.record.contact ? o.record.contact.vid : -1)

describe('HubSpot sink on the simulator', () => {
  it('rides out a 30-second 503 outage: every record Recorded, none lost', async () => {
    const r = await rig({ faults: { errorRate: 1, errorStatuses: [503] } })
    const start = r.clock.now()
    const sink = sinkOn(r, { retry: { baseDelayMs: 1_000, maxDelayMs: 16_000, maxAttempts: 12 } })
    const outage = r.clock.sleep(30_000).then(() => r.sim.setFaults({}))
    const batches = Array.from({ length: 10 }, (_, b) => scanBatch(b * 50 + 1, 50))
    const outcomes = (await Promise.all(batches.map((b) => sink.send(b)))).flat()
    await outage
    expect(count(outcomes)).toEqual({ Recorded: 500, Rejected: 0, Failed: 0 })
    expect(new Set(r.sim.participations().map((p) => p.contact.vid)).size).toBe(500)
    expect(outcomes.every((o) => o._tag === 'Recorded' && o.attempts > 1 && o.sentAt >= start + 30_000)).toBe(
      true,
    )
    const served503 = r.sim.counters().byStatus['503'] ?? 0
    expect(served503).toBeGreaterThanOrEqual(10)
    expect(sink.metrics.snapshot().accounts.default?.requests).toMatchObject({
      success: 10,
      server: served503,
    })
  })

  it.each([
    ['a 503 that never ends', { errorRate: 1, errorStatuses: [503] }, 'HTTP 503'],
    ['connection resets', { resetRate: 1 }, 'ECONNRESET'],
  ])('%s: Failed HUBSPOT_RETRIES_EXHAUSTED after maxAttempts', async (_, faults, cause) => {
    const r = await rig({ faults })
    // Below the outage gate's threshold (10 in a row here), failures are the batch's own and spend its attempts.
    const sink = sinkOn(r, { retry: { baseDelayMs: 100, maxAttempts: 3 }, outage: { failuresToOpen: 10 } })
    const outcomes = await sink.send(scanBatch(1, 4))
    expect(outcomes.map((o) => [o._tag, o.attempts, 'code' in o ? o.code : undefined])).toEqual(
      new Array(4).fill(['Failed', 3, 'HUBSPOT_RETRIES_EXHAUSTED']),
    )
    expect(outcomes[0]).toMatchObject({ message: expect.stringContaining(cause) })
    expect(r.sim.counters().requests).toBe(3)
    expect(r.sim.participations()).toHaveLength(0)
  })

  it.each([
    ['a 503 that never ends', { errorRate: 1, errorStatuses: [503] }, '503'],
    ['connection resets', { resetRate: 1 }, 'ECONNRESET'],
  ])('%s: an outage, waited out, and with maxOutageMs Failed HUBSPOT_OUTAGE naming the cause', async (_, faults, cause) => {
    const r = await rig({ faults })
    const transitions: unknown[] = []
    const sink = sinkOn(r, {
      retry: { baseDelayMs: 20, maxAttempts: 3 },
      outage: { maxOutageMs: 400, probeBaseDelayMs: 100 },
      onGateTransition: (t) => transitions.push(t),
    })
    const outcomes = await sink.send(scanBatch(1, 4))
    expect(outcomes.map((o) => [o._tag, 'code' in o ? o.code : undefined])).toEqual(
      new Array(4).fill(['Failed', 'HUBSPOT_OUTAGE']),
    )
    expect(transitions).toEqual([
      expect.objectContaining({ state: 'down', cause: expect.stringContaining(cause) }),
    ])
    expect(sink.health()).toMatchObject([{ state: 'down', cause: expect.stringContaining(cause) }])
    expect(r.sim.participations()).toHaveLength(0)
  })

  it('whole-request mode: 100 inputs with 3 bad → 97 Recorded, 3 Rejected, extra requests within the log2 bound', async () => {
    const bad = new Set([7, 50, 93])
    const contacts = Array.from({ length: 100 }, (_, i) => i + 1).filter((v) => !bad.has(v))
    const r = await rig({ contacts, partialFailureMode: 'whole-request' })
    const sink = sinkOn(r)
    const outcomes = await sink.send(scanBatch(1, 100))
    expect(count(outcomes)).toEqual({ Recorded: 97, Rejected: 3, Failed: 0 })
    const rejected = outcomes.filter((o) => o._tag === 'Rejected')
    expect(rejected.map((o) => [vidOf(o), o.code, o.message, o.httpStatus, o.category])).toEqual(
      [...bad].map((v) => [
        v,
        'HUBSPOT_REJECTED',
        `Contact with vid ${v} does not exist`,
        400,
        'VALIDATION_ERROR',
      ]),
    )
    const extra = r.sim.counters().requests - 1
    expect(extra).toBeLessThanOrEqual(3 * Math.ceil(Math.log2(100)))
    expect(r.sim.counters().inputsAccepted).toBe(97)
    expect(
      r.sim
        .participations()
        .map((p) => p.contact.vid)
        .sort((a, b) => a - b),
    ).toEqual(contacts)
  })

  it('a 400 that blames the request, not an input (ambiguous externalEventId), is not bisected: one request', async () => {
    const r = await rig({
      events: [
        { externalEventId: 'expo-2026', externalAccountId: 'acct-a' },
        { externalEventId: 'expo-2026', externalAccountId: 'acct-b' },
      ],
    })
    const sink = sinkOn(r)
    const outcomes = await sink.send(scanBatch(1, 16))
    expect(count(outcomes)).toEqual({ Recorded: 0, Rejected: 16, Failed: 0 })
    expect(outcomes[0]).toMatchObject({
      code: 'HUBSPOT_REJECTED',
      httpStatus: 400,
      category: 'VALIDATION_ERROR',
    })
    expect(r.sim.counters().requests).toBe(1)
  })

  it('per-input mode: one request, accepted inputs Recorded, rejected ones Rejected, nothing resent', async () => {
    const r = await rig({ contacts: [1, 2, 4], partialFailureMode: 'per-input' })
    const sink = sinkOn(r)
    const outcomes = await sink.send(scanBatch(1, 4))
    expect(outcomes.map((o) => [vidOf(o), o._tag])).toEqual([
      [1, 'Recorded'],
      [2, 'Recorded'],
      [3, 'Rejected'],
      [4, 'Recorded'],
    ])
    expect(outcomes[2]).toMatchObject({
      code: 'HUBSPOT_REJECTED',
      message: 'Contact with vid 3 does not exist',
    })
    expect(outcomes[0]).toMatchObject({
      attempts: 1,
      hubspotStatus: 'COMPLETE',
      correlationId: expect.any(String),
    })
    expect(r.sim.counters().requests).toBe(1)
  })

  it.each([
    ['401', 'pat-na1-wrong-secret', undefined, 'HUBSPOT_UNAUTHENTICATED', 401],
    ['403', 'pat-na1-no-scope-secret', [], 'HUBSPOT_MISSING_SCOPES', 403],
  ] as const)('%s stops the stage with a token-free error, or dead-letters on request', async (_, token, scopes, code, status) => {
    const r = await rig({ tokens: ['test-token', ...(scopes === undefined ? [] : [{ token, scopes }])] })
    const stopping = sinkOn(r, {}, token)
    const error = await stopping.send(scanBatch(1, 3)).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'AttendanceStreamError', code, retryable: false })
    expect(inspect(error, { depth: 20 }) + JSON.stringify(error)).not.toContain(token)
    const deadLettering = sinkOn(r, { onConfigFault: 'deadLetter' }, token)
    const outcomes = await deadLettering.send(scanBatch(1, 3))
    expect(
      outcomes.map((o) => [o._tag, 'code' in o ? o.code : '', 'httpStatus' in o ? o.httpStatus : 0]),
    ).toEqual(new Array(3).fill(['Rejected', code, status]))
    expect(JSON.stringify(outcomes)).not.toContain(token)
  })

  it('daily limit: X-HubSpot-RateLimit-Daily-Remaining 0 stops the account before any 429; batches wait for midnight', async () => {
    const midnight = Date.UTC(2026, 10, 30)
    const clock = acceleratedClock(FACTOR, midnight - 10_000)
    const r = await rig({ rateLimit: { daily: 5 } }, clock)
    const nextUtcMidnight = (now: number) => (Math.floor(now / 86_400_000) + 1) * 86_400_000
    const sink = sinkOn(r, { maxInFlightRequests: 1, dailyResetAt: nextUtcMidnight })
    const outcomes = (
      await Promise.all(Array.from({ length: 8 }, (_, i) => sink.send(scanBatch(i * 10 + 1, 10))))
    ).flat()
    expect(count(outcomes)).toEqual({ Recorded: 80, Rejected: 0, Failed: 0 })
    const sent = outcomes.map((o) => (o._tag === 'Recorded' ? o.sentAt : 0))
    expect(sent.filter((t) => t < midnight)).toHaveLength(50)
    expect(sent.filter((t) => t >= midnight)).toHaveLength(30)
    expect(r.sim.counters().rateLimited.total).toBe(0)
    expect(sink.metrics.snapshot().accounts.default?.budget.dailyBlockedUntil).toBe(midnight)
  })

  it('daily limit: a DAILY 429 (another process spent the allowance) stops the account until midnight', async () => {
    const midnight = Date.UTC(2026, 10, 30)
    const clock = acceleratedClock(FACTOR, midnight - 10_000)
    const r = await rig({ rateLimit: { daily: 10 } }, clock)
    const other = r.client()
    for (let i = 0; i < 10; i += 1) {
      await other.recordAttendance({
        event: { kind: 'external', externalEventId: 'expo-2026' },
        subscriberState: 'attend',
        contactKind: 'vid',
        inputs: [{ vid: 10_000 + i, interactionDateTime: 1, properties: {} }],
      })
    }
    const nextUtcMidnight = (now: number) => (Math.floor(now / 86_400_000) + 1) * 86_400_000
    const sink = sinkOn(r, { maxInFlightRequests: 1, dailyResetAt: nextUtcMidnight })
    const outcomes = (
      await Promise.all(Array.from({ length: 8 }, (_, i) => sink.send(scanBatch(i * 10 + 1, 10))))
    ).flat()
    expect(count(outcomes)).toEqual({ Recorded: 80, Rejected: 0, Failed: 0 })
    expect(outcomes.every((o) => o._tag === 'Recorded' && o.sentAt >= midnight)).toBe(true)
    // The batch that met the 429 went twice; the others waited without sending.
    expect(outcomes.filter((o) => o.attempts === 2)).toHaveLength(10)
    expect(r.sim.counters().rateLimited).toEqual({ total: 1, tenSecondly: 0, daily: 1 })
    expect(sink.metrics.snapshot().accounts.default?.rateLimited.daily).toBe(1)
  })

  it('daily limit with onDailyLimit fail: the batches past it end Failed HUBSPOT_DAILY_LIMIT (retryable data)', async () => {
    const r = await rig({ rateLimit: { daily: 2 } })
    const sink = sinkOn(r, { maxInFlightRequests: 1, onDailyLimit: 'fail' })
    const outcomes = (
      await Promise.all(Array.from({ length: 4 }, (_, i) => sink.send(scanBatch(i + 1, 1))))
    ).flat()
    expect(outcomes.map((o) => [o._tag, 'code' in o ? o.code : ''])).toEqual([
      ['Recorded', ''],
      ['Recorded', ''],
      ['Failed', 'HUBSPOT_DAILY_LIMIT'],
      ['Failed', 'HUBSPOT_DAILY_LIMIT'],
    ])
  })

  it('a ten-secondly 429 blocks the account for the window and the batch is retried; HubSpot max is adopted', async () => {
    const r = await rig({ tokens: [{ token: 'small-token', max: 5 }] })
    const sink = sinkOn(r, { maxInFlightRequests: 10 }, 'small-token')
    const outcomes = (
      await Promise.all(Array.from({ length: 12 }, (_, i) => sink.send(scanBatch(i + 1, 1))))
    ).flat()
    expect(count(outcomes)).toEqual({ Recorded: 12, Rejected: 0, Failed: 0 })
    const served429 = r.sim.counters().rateLimited.tenSecondly
    expect(served429).toBeGreaterThanOrEqual(1)
    // Only the opening burst (sent before any response said max = 5) may hit the limit.
    expect(served429).toBeLessThanOrEqual(5)
    expect(sink.metrics.snapshot().accounts.default?.rateLimited.tenSecondly).toBe(served429)
    expect(sink.metrics.snapshot().accounts.default?.budget.capacity).toBe(5)
  })

  it('slows down when another client eats into the same token, and provokes no 429', async () => {
    const r = await rig()
    const other = r.client()
    const event = { kind: 'external' as const, externalEventId: 'expo-2026' }
    for (let i = 0; i < 60; i += 1) {
      await other.recordAttendance({
        event,
        subscriberState: 'attend',
        contactKind: 'vid',
        inputs: [{ vid: 10_000 + i, interactionDateTime: 1, properties: {} }],
      })
    }
    const sink = sinkOn(r)
    const outcomes = (
      await Promise.all(Array.from({ length: 60 }, (_, i) => sink.send(scanBatch(i + 1, 1))))
    ).flat()
    expect(count(outcomes)).toEqual({ Recorded: 60, Rejected: 0, Failed: 0 })
    expect(r.sim.counters().rateLimited.total).toBe(0)
    const arrivals = r.sim.counters().tokens['test-token']?.arrivals ?? []
    expect(maxInWindow(arrivals, 10_000)).toBeLessThanOrEqual(100)
  })
})

describe('a batch HubSpot answers with status CANCELED', () => {
  it('is retried, never reported as recorded, and ends Failed (redrivable) when HubSpot keeps canceling', async () => {
    const r = await rig({ batchStatus: 'CANCELED' })
    const sink = sinkOn(r, { retry: { baseDelayMs: 10, maxDelayMs: 20, maxAttempts: 3 } })
    const outcomes = await sink.send(scanBatch(100, 5))
    expect(count(outcomes)).toEqual({ Recorded: 0, Rejected: 0, Failed: 5 })
    expect(outcomes.every((o) => o._tag === 'Failed' && o.code === 'HUBSPOT_RETRIES_EXHAUSTED')).toBe(true)
    expect(outcomes[0]?.attempts).toBe(3)
    expect(r.sim.counters().requests).toBe(3)
  })
})
