import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { CallResult } from '../../src/sinks/hubspot/callResult.js'
import type { AttendanceCall, HubSpotClient } from '../../src/sinks/hubspot/client.js'
import { createHubSpotSink, type HubSpotSinkOptions } from '../../src/sinks/hubspotSink.js'
import type { GateTransition } from '../../src/sinks/outageGate.js'
import type { SinkOutcome } from '../../src/sinks/sinkOutcome.js'
import { batchOf, scan, scanBatch, seededRandom } from './sinkFixtures.js'

// The outage gate inside the sink, in vitest fake time (asyncScheduler reads the faked clock): a HubSpot that is
// unreachable for minutes in the middle of a stream of batches.

const T0 = 1_000_000
const MINUTE = 60_000

const ok = (call: AttendanceCall): CallResult => ({
  _tag: 'success',
  httpStatus: 200,
  status: 'COMPLETE',
  acceptedIndices: call.inputs.map((_, i) => i),
  rejected: [],
  rateLimit: {},
})

const refused: CallResult = {
  _tag: 'failure',
  kind: 'network',
  retryable: true,
  message: 'HubSpot request failed (ECONNREFUSED): connect ECONNREFUSED 127.0.0.1:1',
  rateLimit: {},
  details: [],
}

const unavailable: CallResult = {
  _tag: 'failure',
  kind: 'server',
  retryable: true,
  httpStatus: 503,
  message: 'HubSpot answered 503',
  rateLimit: {},
  details: [],
}

/** A client that answers `down` between `from` and `to` (fake time) and accepts everything otherwise. */
const flakyClient = (from: number, to: number, down: CallResult = refused) => {
  const calls: number[] = []
  const client = {
    async recordAttendance(call: AttendanceCall): Promise<CallResult> {
      const now = Date.now()
      calls.push(now)
      return now >= from && now < to ? down : ok(call)
    },
    async close() {},
  } as unknown as HubSpotClient
  return { client, calls }
}

const sinkWith = (client: HubSpotClient, options: Partial<HubSpotSinkOptions> = {}) =>
  createHubSpotSink({ client, random: seededRandom(7), ...options })

/** Advances fake time in steps until `until` (absolute), letting promises run between steps. */
const runUntil = async (until: number, stepMs = 250): Promise<void> => {
  while (Date.now() < until) await vi.advanceTimersByTimeAsync(Math.min(stepMs, until - Date.now()))
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('the HubSpot sink through an outage', () => {
  it('rides out 10 minutes of connection refused in a 20-minute stream: 0 failures, every record Recorded', async () => {
    const outageFrom = T0 + 5 * MINUTE
    const outageTo = outageFrom + 10 * MINUTE
    const hubspot = flakyClient(outageFrom, outageTo)
    const transitions: GateTransition[] = []
    const sink = sinkWith(hubspot.client, { onGateTransition: (t) => transitions.push(t) })
    const healthDuring: unknown[] = []

    // One batch of 10 contacts every 2 s for 20 minutes: 600 batches, 6,000 records.
    const sends: Promise<SinkOutcome[]>[] = []
    for (let i = 0; i < 600; i++) {
      setTimeout(() => sends.push(sink.send(scanBatch(i * 10 + 1, 10))), i * 2_000)
    }
    setTimeout(() => healthDuring.push(...sink.health()), 10 * MINUTE)
    await runUntil(T0 + 25 * MINUTE)

    const outcomes = (await Promise.all(sends)).flat()
    expect(outcomes).toHaveLength(6_000)
    expect(outcomes.filter((o) => o._tag !== 'Recorded')).toEqual([])
    const duringOutage = hubspot.calls.filter((at) => at >= outageFrom && at < outageTo).length
    // The figure the issue asks for: requests sent while HubSpot was down (the failures that opened the gate,
    // then one probe at a time on a backoff capped at 30 s).
    console.log(`10-minute outage: ${duringOutage} requests sent during it (probes included)`)
    expect(duringOutage).toBeLessThan(60)
    expect(transitions).toEqual([
      {
        account: 'default',
        state: 'down',
        at: expect.any(Number),
        cause: 'connect ECONNREFUSED 127.0.0.1:1',
      },
      {
        account: 'default',
        state: 'up',
        at: expect.any(Number),
        cause: 'recovered',
        outageMs: expect.any(Number),
        probes: expect.any(Number),
      },
    ])
    const [down, up] = transitions as [GateTransition, GateTransition]
    console.log(
      `gate down ${down.at - outageFrom} ms after the outage began, up ${up.at - outageTo} ms after it ended; ${up.probes} probes`,
    )
    expect(down.at).toBeGreaterThanOrEqual(outageFrom)
    expect(down.at).toBeLessThan(outageFrom + 10_000)
    // Recovered by the first probe after the end: probes are at most 30 s apart.
    expect(up.at).toBeGreaterThanOrEqual(outageTo)
    expect(up.at).toBeLessThanOrEqual(outageTo + 30_000)
    expect(healthDuring).toEqual([
      {
        account: 'default',
        state: 'down',
        since: down.at,
        cause: 'connect ECONNREFUSED 127.0.0.1:1',
        probes: expect.any(Number),
        waiting: expect.any(Number),
      },
    ])
    expect(sink.health()).toEqual([{ account: 'default', state: 'up', since: up.at, probes: 0, waiting: 0 }])
    await sink.close()
  }, 60_000)

  it('spends no retry attempts of a batch during an outage: each is Recorded with its own failures only', async () => {
    const hubspot = flakyClient(T0, T0 + 3 * MINUTE, unavailable)
    const sink = sinkWith(hubspot.client, { retry: { maxAttempts: 2 } })
    const sends = [sink.send(scanBatch(1, 5)), sink.send(scanBatch(100, 5))]
    await runUntil(T0 + 5 * MINUTE)
    const outcomes = (await Promise.all(sends)).flat()
    expect(outcomes.map((o) => o._tag)).toEqual(Array(10).fill('Recorded'))
  })

  it('with maxOutageMs, fails the waiting batches with HUBSPOT_OUTAGE once the outage lasts that long', async () => {
    const hubspot = flakyClient(T0, T0 + 10 * MINUTE, unavailable)
    const sink = sinkWith(hubspot.client, { outage: { maxOutageMs: 2 * MINUTE } })
    const send = sink.send(batchOf([scan(1, 0)]))
    await runUntil(T0 + 3 * MINUTE)
    const [outcome] = await send
    expect(outcome).toMatchObject({
      _tag: 'Failed',
      code: 'HUBSPOT_OUTAGE',
      message: expect.stringMatching(
        /^HubSpot account "default" has been unreachable for \d+ ms \(503\), longer than maxOutageMs$/,
      ),
    })
    // Probing goes on, so the account comes back when HubSpot does.
    await runUntil(T0 + 11 * MINUTE)
    const later = sink.send(batchOf([scan(2, 1)]))
    await runUntil(T0 + 12 * MINUTE)
    expect((await later).map((o) => o._tag)).toEqual(['Recorded'])
  })
})

describe('the HubSpot sink when something throws', () => {
  it('answers a batch that batching failed with INTERNAL, sending nothing', async () => {
    const hubspot = flakyClient(0, 0)
    const record = scan(1, 0)
    const outcomes = await sinkWith(hubspot.client).send({
      ...batchOf([record]),
      inputs: [],
      failure: { message: 'batching threw: TypeError: boom' },
    })
    expect(outcomes).toEqual([
      {
        _tag: 'Failed',
        record,
        batchId: expect.any(String),
        attempts: 0,
        code: 'INTERNAL',
        message: 'batching threw: TypeError: boom',
        details: [],
      },
    ])
    expect(hubspot.calls).toEqual([])
  })

  it('answers the inputs of a client that throws with INTERNAL, and keeps going', async () => {
    let n = 0
    const client = {
      async recordAttendance(call: AttendanceCall): Promise<CallResult> {
        n += 1
        if (n === 1) throw new URIError('URI malformed')
        return ok(call)
      },
      async close() {},
    } as unknown as HubSpotClient
    const sink = sinkWith(client)
    const first = sink.send(batchOf([scan(1, 0)]))
    await runUntil(T0 + 1_000)
    expect(await first).toMatchObject([
      { _tag: 'Failed', code: 'INTERNAL', message: 'the HubSpot client threw: URIError: URI malformed' },
    ])
    const second = sink.send(batchOf([scan(2, 1)]))
    await runUntil(T0 + 2_000)
    expect((await second).map((o) => o._tag)).toEqual(['Recorded'])
  })

  it('answers a record whose contact has no input with INTERNAL, and records the others', async () => {
    const hubspot = flakyClient(0, 0)
    const stray = scan(9, 5)
    const batch = batchOf([scan(1, 0), scan(2, 1)])
    const send = sinkWith(hubspot.client).send({ ...batch, records: [...batch.records, stray] })
    await runUntil(T0 + 1_000)
    expect((await send).map((o) => [o._tag, o._tag === 'Failed' ? o.message : ''])).toEqual([
      ['Recorded', ''],
      ['Recorded', ''],
      ['Failed', `batch ${batch.id} has a record whose contact has no input`],
    ])
  })

  it('answers a batch whose input mapping throws with INTERNAL for every record', async () => {
    const hubspot = flakyClient(0, 0)
    const batch = batchOf([scan(1, 0)])
    // A contact the mapping cannot read: the seam is the data, not a patched module.
    const poisoned = {
      ...batch,
      inputs: [
        Object.defineProperty({}, 'vid', {
          get() {
            throw new TypeError('unreadable contact')
          },
          enumerable: true,
        }),
      ],
    } as unknown as typeof batch
    const outcomes = await sinkWith(hubspot.client).send(poisoned)
    expect(outcomes).toMatchObject([
      {
        _tag: 'Failed',
        code: 'INTERNAL',
        message: `mapping batch ${batch.id} to its inputs threw: TypeError: unreadable contact`,
      },
    ])
    expect(hubspot.calls).toEqual([])
  })
})
