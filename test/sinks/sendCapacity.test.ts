import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { CallResult } from '../../src/sinks/hubspot/callResult.js'
import type { AttendanceCall, HubSpotClient } from '../../src/sinks/hubspot/client.js'
import { createHubSpotSink, type HubSpotSinkOptions } from '../../src/sinks/hubspotSink.js'
import { scanBatch } from './sinkFixtures.js'

// The sink's `capacity`: what late-sealing batching asks before it lets a batch go. Fake time (asyncScheduler
// reads the faked Date and timers), a client whose answers the test releases by hand.

const ok = (call: AttendanceCall, rateLimit: CallResult['rateLimit'] = {}): CallResult => ({
  _tag: 'success',
  httpStatus: 200,
  status: 'COMPLETE',
  acceptedIndices: call.inputs.map((_, i) => i),
  rejected: [],
  rateLimit,
})

const down: CallResult = {
  _tag: 'failure',
  kind: 'server',
  retryable: true,
  httpStatus: 503,
  message: 'HubSpot request failed (HTTP 503)',
  rateLimit: {},
  details: [],
}

/** A client that answers each call when the test says so. */
const heldClient = (answer: (call: AttendanceCall) => CallResult = (call) => ok(call)) => {
  const pending: (() => void)[] = []
  const client = {
    recordAttendance: (call: AttendanceCall) =>
      new Promise<CallResult>((resolve) => pending.push(() => resolve(answer(call)))),
    async close() {},
  } as unknown as HubSpotClient
  return {
    client,
    calls: () => pending.length,
    answerAll: async () => {
      for (const answer of pending.splice(0)) answer()
      await vi.advanceTimersByTimeAsync(0)
    },
  }
}

const sinkWith = (client: HubSpotClient, options: Partial<HubSpotSinkOptions> = {}) =>
  createHubSpotSink({ client, random: () => 0.5, ...options })

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('HubSpotSink.capacity', () => {
  it('counts a batch as soon as it is handed over, and frees its slot with the answer', async () => {
    const held = heldClient()
    const sink = sinkWith(held.client, { maxInFlightRequests: 3, requestsPer10s: 100 })
    const changes: string[] = []
    sink.capacity.changes.subscribe((account) => changes.push(account))
    expect(sink.capacity.available('default')).toBe(3)
    const sends = [sink.send(scanBatch(1, 2)), sink.send(scanBatch(10, 2))]
    // Synchronously: nothing has reached the client yet, but both batches are already counted.
    expect(sink.capacity.available('default')).toBe(1)
    await vi.advanceTimersByTimeAsync(0)
    expect(held.calls()).toBe(2)
    expect(sink.capacity.available('default')).toBe(1)
    await held.answerAll()
    await Promise.all(sends)
    expect(sink.capacity.available('default')).toBe(3)
    expect(changes.filter((a) => a === 'default').length).toBeGreaterThanOrEqual(2)
    await sink.close()
  })

  it('says 0 while the window is spent, and tells when the window moves on though nothing is queued', async () => {
    const held = heldClient()
    const sink = sinkWith(held.client, { maxInFlightRequests: 4, requestsPer10s: 2 })
    const changes: number[] = []
    sink.capacity.changes.subscribe(() => changes.push(Date.now()))
    const sends = [sink.send(scanBatch(1, 1)), sink.send(scanBatch(2, 1))]
    await vi.advanceTimersByTimeAsync(0)
    await held.answerAll()
    await Promise.all(sends)
    const answeredAt = Date.now()
    changes.length = 0
    expect(sink.capacity.available('default')).toBe(0)
    await vi.advanceTimersByTimeAsync(9_999)
    expect(changes).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(changes).toEqual([answeredAt + 10_000])
    expect(sink.capacity.available('default')).toBe(2)
    await sink.close()
  })

  it('lets one batch through while the account is down (it becomes the probe), and tells when it is back', async () => {
    let healthy = false
    const held = heldClient((call) => (healthy ? ok(call) : down))
    const sink = sinkWith(held.client, {
      maxInFlightRequests: 4,
      outage: { failuresToOpen: 1, probeBaseDelayMs: 1_000, probeMaxDelayMs: 1_000 },
    })
    const backAt: number[] = []
    sink.capacity.changes.subscribe(() => backAt.push(Date.now()))
    const first = sink.send(scanBatch(1, 1))
    await vi.advanceTimersByTimeAsync(0)
    await held.answerAll()
    expect(sink.health()[0]?.state).toBe('down')
    // The first batch waits at the gate: nothing else may go.
    expect(sink.capacity.available('default')).toBe(0)
    healthy = true
    for (let i = 0; i < 20 && held.calls() === 0; i += 1) await vi.advanceTimersByTimeAsync(100)
    expect(held.calls()).toBe(1)
    backAt.length = 0
    await held.answerAll()
    await first
    expect(sink.health()[0]?.state).toBe('up')
    expect(backAt.length).toBeGreaterThan(0)
    expect(sink.capacity.available('default')).toBe(4)
    await sink.close()
  })

  it('says so at once when a batch waiting in the slot queue is cancelled (its partition was revoked)', async () => {
    const held = heldClient()
    const sink = sinkWith(held.client, { maxInFlightRequests: 4, requestsPer10s: 1 })
    const first = sink.send(scanBatch(1, 1))
    await vi.advanceTimersByTimeAsync(0)
    await held.answerAll()
    await first
    const controller = new AbortController()
    const queued = sink.send(scanBatch(5, 1), { signal: controller.signal }).catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(0)
    const changes: number[] = []
    sink.capacity.changes.subscribe(() => changes.push(Date.now()))
    const cancelledAt = Date.now()
    controller.abort(new Error('revoked'))
    expect(await queued).toMatchObject({ message: 'revoked' })
    expect(changes).toEqual([cancelledAt])
    await sink.close()
  })

  it('gives a claim back when a batch ends without a request', async () => {
    const held = heldClient()
    const sink = sinkWith(held.client, { maxInFlightRequests: 1 })
    const controller = new AbortController()
    const sent = sink.send(scanBatch(1, 1))
    const cancelled = sink.send(scanBatch(5, 1), { signal: controller.signal }).catch((e: unknown) => e)
    expect(sink.capacity.available('default')).toBe(0)
    await vi.advanceTimersByTimeAsync(0)
    controller.abort(new Error('revoked'))
    expect(await cancelled).toMatchObject({ message: 'revoked' })
    await held.answerAll()
    await sent
    expect(sink.capacity.available('default')).toBe(1)
    await sink.close()
  })
})
