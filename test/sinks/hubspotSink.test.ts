import { inspect } from 'node:util'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { AttendanceStreamError } from '../../src/errors.js'
import type { CallFailure, CallResult } from '../../src/sinks/hubspot/callResult.js'
import type { AttendanceCall, HubSpotClient } from '../../src/sinks/hubspot/client.js'
import { createHubSpotSink, type HubSpotSinkOptions } from '../../src/sinks/hubspotSink.js'
import type { SinkOutcome } from '../../src/sinks/sinkOutcome.js'
import { batchOf, scan as record } from './sinkFixtures.js'

// Unit tests of the sink's decisions against an in-file fake client, in vitest fake time (asyncScheduler reads
// the faked Date and timers). The same behaviours run against the real simulator in hubspotSink.sim.test.ts.

const TOKEN = 'pat-na1-00000000-secret'

const vidsOf = (call: AttendanceCall): number[] => call.inputs.map((i) => ('vid' in i ? i.vid : -1))

const ok = (call: AttendanceCall, rateLimit: CallResult['rateLimit'] = {}): CallResult => ({
  _tag: 'success',
  httpStatus: 200,
  status: 'COMPLETE',
  correlationId: 'corr-ok',
  acceptedIndices: call.inputs.map((_, i) => i),
  rejected: [],
  rateLimit,
})

const failure = (kind: CallFailure['kind'], extra: Partial<CallFailure> = {}): CallFailure => ({
  _tag: 'failure',
  kind,
  retryable: kind === 'server' || kind === 'network' || kind === 'timeout' || kind === 'rateLimited',
  httpStatus: {
    validation: 400,
    unauthenticated: 401,
    missingScopes: 403,
    notFound: 404,
    rateLimited: 429,
    server: 503,
  }[kind as 'server'],
  message: `${kind} happened`,
  correlationId: `corr-${kind}`,
  rateLimit: {},
  details: [`${kind} detail`],
  ...extra,
})

/** A client whose answer to each call is computed by `respond`; records every call with its fake time. */
const fakeClient = (respond: (call: AttendanceCall, n: number) => CallResult | Promise<CallResult>) => {
  const calls: { at: number; vids: number[] }[] = []
  let inFlight = 0
  let maxInFlight = 0
  const client = {
    async recordAttendance(call: AttendanceCall): Promise<CallResult> {
      calls.push({ at: Date.now(), vids: vidsOf(call) })
      inFlight += 1
      maxInFlight = Math.max(maxInFlight, inFlight)
      try {
        return await respond(call, calls.length)
      } finally {
        inFlight -= 1
      }
    },
    async close() {},
  } as unknown as HubSpotClient
  return { client, calls, maxInFlight: () => maxInFlight }
}

/** Runs `send` to completion while advancing fake time in steps. */
const settle = async <T>(p: Promise<T>, stepMs = 100, maxMs = 3_600_000): Promise<T> => {
  let done = false
  let error: unknown
  let value: T | undefined
  p.then(
    (v) => {
      done = true
      value = v
    },
    (e) => {
      done = true
      error = e
    },
  )
  for (let t = 0; !done && t < maxMs; t += stepMs) await vi.advanceTimersByTimeAsync(stepMs)
  if (!done) throw new Error('send did not settle in fake time')
  if (error !== undefined) throw error
  return value as T
}

const tags = (outcomes: readonly SinkOutcome[]) => outcomes.map((o) => o._tag)

const sinkWith = (client: HubSpotClient, options: Partial<HubSpotSinkOptions> = {}) =>
  createHubSpotSink({ client, random: () => 0.5, ...options })

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('createHubSpotSink', () => {
  it('records every source record, merged ones included, in record order', async () => {
    const fake = fakeClient((call) => ok(call))
    const sink = sinkWith(fake.client)
    const batch = batchOf([record(1, 0), record(2, 1), record(1, 2)])
    const outcomes = await settle(sink.send(batch))
    expect(outcomes).toEqual([
      {
        _tag: 'Recorded',
        record: batch.records[0],
        batchId: batch.id,
        batchSize: 2,
        attempts: 1,
        sentAt: 1_000_000,
        completedAt: 1_000_000,
        hubspotStatus: 'COMPLETE',
        correlationId: 'corr-ok',
      },
      expect.objectContaining({ _tag: 'Recorded', record: batch.records[1] }),
      expect.objectContaining({ _tag: 'Recorded', record: batch.records[2] }),
    ])
    expect(fake.calls).toEqual([{ at: 1_000_000, vids: [1, 2] }])
    expect(sink.metrics.snapshot().accounts.default?.requests).toEqual({ success: 1 })
  })

  it('answers an empty batch with no outcomes and no request', async () => {
    const fake = fakeClient((call) => ok(call))
    expect(await sinkWith(fake.client).send(batchOf([]))).toEqual([])
    expect(fake.calls).toHaveLength(0)
  })

  it('partial failure: accepted inputs are Recorded, rejected ones Rejected, nothing is resent', async () => {
    const fake = fakeClient((call) => ({
      ...(ok(call) as Extract<CallResult, { _tag: 'success' }>),
      acceptedIndices: [0, 2],
      rejected: [
        { index: 1, message: 'Contact 2 does not exist', category: 'OBJECT_NOT_FOUND', code: 'NOT_FOUND' },
      ],
    }))
    const sink = sinkWith(fake.client)
    const outcomes = await settle(
      sink.send(batchOf([record(1, 0), record(2, 1), record(3, 2), record(2, 3)])),
    )
    expect(tags(outcomes)).toEqual(['Recorded', 'Rejected', 'Recorded', 'Rejected'])
    expect(outcomes[1]).toMatchObject({
      code: 'HUBSPOT_REJECTED',
      message: 'Contact 2 does not exist',
      httpStatus: 200,
      category: 'OBJECT_NOT_FOUND',
      correlationId: 'corr-ok',
      attempts: 1,
    })
    expect(fake.calls).toHaveLength(1)
    expect(sink.metrics.snapshot().accounts.default?.requests).toEqual({ partial: 1 })
  })

  it('retries server errors with full-jitter backoff, then records', async () => {
    const fake = fakeClient((call, n) => (n <= 2 ? failure('server') : ok(call)))
    const sink = sinkWith(fake.client, { retry: { baseDelayMs: 1_000, maxDelayMs: 60_000 } })
    const outcomes = await settle(sink.send(batchOf([record(1, 0)])), 10)
    expect(outcomes[0]).toMatchObject({ _tag: 'Recorded', attempts: 3 })
    // random() = 0.5: half of 1 s, then half of 2 s.
    expect(fake.calls.map((c) => c.at - 1_000_000)).toEqual([0, 500, 1_500])
    expect(sink.metrics.snapshot().accounts.default?.retries).toBe(2)
  })

  it('honours Retry-After on a retryable 5xx when it is longer than the backoff', async () => {
    const fake = fakeClient((call, n) =>
      n === 1 ? failure('server', { rateLimit: { retryAfterMs: 5_000 } }) : ok(call),
    )
    const sink = sinkWith(fake.client)
    const outcomes = await settle(sink.send(batchOf([record(1, 0)])), 10)
    expect(outcomes[0]).toMatchObject({ _tag: 'Recorded', attempts: 2 })
    expect(fake.calls.map((c) => c.at - 1_000_000)).toEqual([0, 5_000])
  })

  it('gives up after maxAttempts with Failed HUBSPOT_RETRIES_EXHAUSTED', async () => {
    const fake = fakeClient(() =>
      failure('timeout', { httpStatus: undefined, message: 'HubSpot request timed out' }),
    )
    // Failures that do not add up to an outage (the gate opens only after 10 in a row here): the batch's own.
    const sink = sinkWith(fake.client, { retry: { maxAttempts: 4 }, outage: { failuresToOpen: 10 } })
    const outcomes = await settle(sink.send(batchOf([record(1, 0), record(2, 1)])))
    expect(fake.calls).toHaveLength(4)
    expect(outcomes[0]).toEqual({
      _tag: 'Failed',
      record: expect.anything(),
      batchId: expect.any(String),
      attempts: 4,
      code: 'HUBSPOT_RETRIES_EXHAUSTED',
      message: expect.stringMatching(/^gave up after 4 attempts in \d+ ms: HubSpot request timed out$/),
      details: ['timeout detail'],
      correlationId: 'corr-timeout',
    })
  })

  it('stops retrying when the next retry would start after maxElapsedMs', async () => {
    const fake = fakeClient(() => failure('network'))
    const sink = sinkWith(fake.client, {
      retry: { baseDelayMs: 10_000, maxDelayMs: 10_000, maxElapsedMs: 12_000 },
      outage: { failuresToOpen: 10 },
    })
    const outcomes = await settle(sink.send(batchOf([record(1, 0)])))
    expect(fake.calls).toHaveLength(3)
    expect(outcomes[0]).toMatchObject({ _tag: 'Failed', code: 'HUBSPOT_RETRIES_EXHAUSTED', attempts: 3 })
  })

  it('isolates 3 bad inputs among 100 by bisection: 97 Recorded, 3 Rejected, within the log2 bound', async () => {
    const bad = new Set([7, 50, 93])
    const fake = fakeClient((call) => {
      const hit = vidsOf(call).find((v) => bad.has(v))
      return hit === undefined
        ? ok(call)
        : failure('validation', { message: `Contact ${hit} is not valid`, category: 'VALIDATION_ERROR' })
    })
    const sink = sinkWith(fake.client, { requestsPer10s: 1_000 })
    const records = Array.from({ length: 100 }, (_, i) => record(i + 1, i))
    const outcomes = await settle(sink.send(batchOf(records)))
    expect(outcomes.filter((o) => o._tag === 'Recorded')).toHaveLength(97)
    const rejected = outcomes.filter((o) => o._tag === 'Rejected')
    expect(rejected.map((o) => ('vid' in o.record.contact ? o.record.contact.vid : 0))).toEqual([7, 50, 93])
    expect(rejected[0]).toMatchObject({
      code: 'HUBSPOT_REJECTED',
      message: 'Contact 7 is not valid',
      httpStatus: 400,
    })
    const extra = fake.calls.length - 1
    expect(extra).toBeLessThanOrEqual(3 * 2 * Math.ceil(Math.log2(100)))
    // No input is accepted twice: every good vid appears in exactly one successful request.
    const accepted = fake.calls.filter((c) => !c.vids.some((v) => bad.has(v))).flatMap((c) => c.vids)
    expect(accepted.sort((a, b) => a - b)).toEqual(records.map((_, i) => i + 1).filter((v) => !bad.has(v)))
  })

  it('rejects the inputs a whole-request 400 names and resends the rest once', async () => {
    const fake = fakeClient((call, n) =>
      n === 1 ? failure('validation', { rejected: [{ index: 1, message: 'vid 2 is bad' }] }) : ok(call),
    )
    const outcomes = await settle(
      sinkWith(fake.client).send(batchOf([record(1, 0), record(2, 1), record(3, 2)])),
    )
    expect(tags(outcomes)).toEqual(['Recorded', 'Rejected', 'Recorded'])
    expect(outcomes[1]).toMatchObject({ message: 'vid 2 is bad', attempts: 1 })
    expect(fake.calls.map((c) => c.vids)).toEqual([
      [1, 2, 3],
      [1, 3],
    ])
  })

  it('does not bisect a call the client refused before sending (no HTTP status)', async () => {
    const fake = fakeClient(() =>
      failure('validation', { httpStatus: undefined, message: 'upsert needs externalAccountId' }),
    )
    const outcomes = await settle(sinkWith(fake.client).send(batchOf([record(1, 0), record(2, 1)])))
    expect(tags(outcomes)).toEqual(['Rejected', 'Rejected'])
    expect(fake.calls).toHaveLength(1)
  })

  it('a 404 OBJECT_NOT_FOUND and bad responses are Rejected without retry', async () => {
    const notFound = fakeClient(() => failure('notFound', { category: 'OBJECT_NOT_FOUND' }))
    expect(await settle(sinkWith(notFound.client).send(batchOf([record(1, 0)])))).toMatchObject([
      { _tag: 'Rejected', code: 'HUBSPOT_REJECTED', httpStatus: 404, category: 'OBJECT_NOT_FOUND' },
    ])
    const garbled = fakeClient(() => failure('badResponse', { httpStatus: 200 }))
    expect(await settle(sinkWith(garbled.client).send(batchOf([record(1, 0)])))).toMatchObject([
      { _tag: 'Rejected', code: 'HUBSPOT_BAD_RESPONSE' },
    ])
    expect(notFound.calls.length + garbled.calls.length).toBe(2)
  })

  it('retries a bad response the client marks retryable (a 2xx body cut short), then records', async () => {
    const fake = fakeClient((call, n) =>
      n === 1 ? failure('badResponse', { httpStatus: 200, retryable: true }) : ok(call),
    )
    const outcomes = await settle(sinkWith(fake.client).send(batchOf([record(1, 0)])), 10)
    expect(outcomes).toMatchObject([{ _tag: 'Recorded', attempts: 2 }])
    expect(fake.calls).toHaveLength(2)
  })

  it.each([
    ['unauthenticated', 'HUBSPOT_UNAUTHENTICATED', 'INVALID_AUTHENTICATION'],
    ['missingScopes', 'HUBSPOT_MISSING_SCOPES', 'MISSING_SCOPES'],
  ] as const)('a %s config fault stops the stage with a token-free error by default', async (kind, code, category) => {
    const fake = fakeClient(() => failure(kind, { category }))
    const sink = sinkWith(fake.client)
    const error = await settle(sink.send(batchOf([record(1, 0)]))).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AttendanceStreamError)
    expect(error).toMatchObject({ code, retryable: false })
    expect((error as Error).message).toMatch(
      new RegExp(`^HubSpot .* of account "default" \\(HTTP 40[13] ${category}\\)`),
    )
    expect(inspect(error, { depth: 10 })).not.toContain(TOKEN)
    // The account stays stopped: later batches fail without another request.
    await expect(settle(sink.send(batchOf([record(2, 1)])))).rejects.toMatchObject({ code })
    expect(fake.calls).toHaveLength(1)
  })

  it("names HubSpot's status and category once when the client's message already says them", async () => {
    const fake = fakeClient(() =>
      failure('unauthenticated', {
        category: 'INVALID_AUTHENTICATION',
        message: 'HubSpot 401 INVALID_AUTHENTICATION: Authentication credentials not found.',
      }),
    )
    const error = await settle(sinkWith(fake.client).send(batchOf([record(1, 0)]))).catch((e: unknown) => e)
    expect((error as Error).message).toBe(
      'HubSpot did not accept the token of account "default": 401 INVALID_AUTHENTICATION: Authentication credentials not found.',
    )
  })

  it('a 404 that is not OBJECT_NOT_FOUND is an unknown endpoint: a config fault that stops, or is dead-lettered', async () => {
    const stopping = fakeClient(() => failure('notFound', { category: 'NOT_FOUND' }))
    const error = await settle(sinkWith(stopping.client).send(batchOf([record(1, 0)]))).catch(
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ code: 'HUBSPOT_UNKNOWN_ENDPOINT' })
    expect((error as Error).message).toBe(
      'HubSpot has no such endpoint (check baseUrl and apiVersion) of account "default" (HTTP 404 NOT_FOUND): notFound happened',
    )
    const deadLetter = fakeClient(() => failure('notFound'))
    expect(
      await settle(
        sinkWith(deadLetter.client, { onConfigFault: 'deadLetter' }).send(batchOf([record(1, 0)])),
      ),
    ).toMatchObject([{ _tag: 'Rejected', code: 'HUBSPOT_UNKNOWN_ENDPOINT', httpStatus: 404 }])
  })

  it('with onConfigFault deadLetter, 401/403 become Rejected outcomes', async () => {
    const fake = fakeClient((_, n) => failure(n === 1 ? 'unauthenticated' : 'missingScopes'))
    const sink = sinkWith(fake.client, { onConfigFault: 'deadLetter' })
    expect(await settle(sink.send(batchOf([record(1, 0)])))).toMatchObject([
      { _tag: 'Rejected', code: 'HUBSPOT_UNAUTHENTICATED', httpStatus: 401 },
    ])
    expect(await settle(sink.send(batchOf([record(1, 0)])))).toMatchObject([
      { _tag: 'Rejected', code: 'HUBSPOT_MISSING_SCOPES', httpStatus: 403 },
    ])
  })

  it('a ten-secondly 429 blocks the account until Retry-After, then the batch is retried', async () => {
    const fake = fakeClient((call, n) =>
      n === 1 ? failure('rateLimited', { policy: 'TEN_SECONDLY_ROLLING', retryAfterMs: 4_000 }) : ok(call),
    )
    const sink = sinkWith(fake.client)
    const first = sink.send(batchOf([record(1, 0)]))
    await vi.advanceTimersByTimeAsync(0)
    const second = sink.send(batchOf([record(2, 1)]))
    const outcomes = await settle(Promise.all([first, second]))
    expect(outcomes.flat().map((o) => o._tag)).toEqual(['Recorded', 'Recorded'])
    expect(fake.calls.map((c) => c.at - 1_000_000)).toEqual([0, 4_000, 4_000])
    expect(sink.metrics.snapshot().accounts.default?.rateLimited).toEqual({ tenSecondly: 1, daily: 0 })
  })

  it('a DAILY 429 stops the account until the injected reset time; its batches wait', async () => {
    const reset = 1_000_000 + 3_600_000
    const fake = fakeClient((call, n) =>
      n === 1 ? failure('rateLimited', { policy: 'DAILY', retryable: false }) : ok(call),
    )
    const sink = sinkWith(fake.client, { dailyResetAt: () => reset })
    const outcomes = await settle(sink.send(batchOf([record(1, 0)])), 60_000)
    expect(outcomes[0]).toMatchObject({ _tag: 'Recorded', attempts: 2, sentAt: reset })
    expect(fake.calls.map((c) => c.at)).toEqual([1_000_000, reset])
    expect(sink.metrics.snapshot().accounts.default?.rateLimited).toEqual({ tenSecondly: 0, daily: 1 })
  })

  it('the wait for a daily reset does not count against maxElapsedMs: a 5xx after the reset is still retried', async () => {
    const reset = 1_000_000 + 3_600_000
    const fake = fakeClient((call, n) => {
      if (n === 1) return failure('rateLimited', { policy: 'DAILY', retryable: false })
      return n === 2 ? failure('server') : ok(call)
    })
    const sink = sinkWith(fake.client, { dailyResetAt: () => reset })
    const outcomes = await settle(sink.send(batchOf([record(1, 0)])), 60_000, 7_200_000)
    expect(outcomes[0]).toMatchObject({ _tag: 'Recorded', attempts: 3 })
    expect(fake.calls).toHaveLength(3)
  })

  it('with onDailyLimit fail, a spent daily allowance yields Failed HUBSPOT_DAILY_LIMIT', async () => {
    const fake = fakeClient((call) => ok(call, { dailyRemaining: 0 }))
    const sink = sinkWith(fake.client, { onDailyLimit: 'fail', dailyResetAt: () => 5_000_000 })
    expect(tags(await settle(sink.send(batchOf([record(1, 0)]))))).toEqual(['Recorded'])
    expect(await settle(sink.send(batchOf([record(2, 1)])))).toMatchObject([
      { _tag: 'Failed', code: 'HUBSPOT_DAILY_LIMIT', attempts: 0 },
    ])
    expect(fake.calls).toHaveLength(1)
  })

  it('keeps to requestsPer10s × share in every rolling window, and follows setShare', async () => {
    const fake = fakeClient((call) => ok(call))
    const sink = sinkWith(fake.client, { requestsPer10s: 20, share: 0.5, maxInFlightRequests: 100 })
    const sends = Array.from({ length: 40 }, (_, i) => sink.send(batchOf([record(i + 1, i)])))
    await settle(Promise.all(sends))
    const at = fake.calls.map((c) => c.at - 1_000_000)
    expect(at.filter((t) => t < 10_000)).toHaveLength(10)
    expect(at.filter((t) => t >= 10_000 && t < 20_000)).toHaveLength(10)
    expect(at.at(-1)).toBe(30_000)
    sink.setShare(1)
    const more = Array.from({ length: 20 }, (_, i) => sink.send(batchOf([record(i + 1, i)])))
    await settle(Promise.all(more))
    // The window still holds the 10 sent at 30 s: a share of 1 lets 10 more go at once, the rest at 40 s.
    expect(fake.calls.slice(40).map((c) => c.at - 1_000_000)).toEqual([
      ...new Array(10).fill(30_000),
      ...new Array(10).fill(40_000),
    ])
  })

  it('caps requests in flight per account, and accounts do not block each other', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => {
      release = r
    })
    const slowA = fakeClient(async (call) => {
      await gate
      return ok(call)
    })
    const fastB = fakeClient((call) => ok(call))
    const sink = createHubSpotSink({ client: { a: slowA.client, b: fastB.client }, maxInFlightRequests: 2 })
    const a = Array.from({ length: 5 }, (_, i) => sink.send(batchOf([record(i + 1, i, 'a')])))
    await vi.advanceTimersByTimeAsync(0)
    expect(slowA.calls).toHaveLength(2)
    expect(await sink.send(batchOf([record(9, 9, 'b')]))).toMatchObject([{ _tag: 'Recorded' }])
    release()
    await settle(Promise.all(a))
    expect(slowA.maxInFlight()).toBe(2)
    expect(slowA.calls).toHaveLength(5)
    await expect(sink.send(batchOf([record(1, 0, 'nobody')]))).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    })
  })

  it('slows down when HubSpot reports less remaining than the sink counted', async () => {
    const fake = fakeClient((call) => ok(call, { remaining: 0, max: 100, intervalMs: 10_000 }))
    const sink = sinkWith(fake.client, { maxInFlightRequests: 1 })
    const sends = Array.from({ length: 3 }, (_, i) => sink.send(batchOf([record(i + 1, i)])))
    await settle(Promise.all(sends))
    expect(fake.calls.map((c) => c.at - 1_000_000)).toEqual([0, 10_000, 20_000])
    expect(sink.metrics.snapshot().accounts.default?.budget).toMatchObject({
      // No requestsPer10s given: HubSpot's max 100 less 5 % headroom.
      capacity: 95,
      inFlight: 0,
      maxInFlight: 1,
    })
  })

  it('close() rejects waiting batches with SINK_CLOSED; a cancelled send stops waiting', async () => {
    const fake = fakeClient(() => failure('server'))
    const sink = sinkWith(fake.client)
    const pending = sink.send(batchOf([record(1, 0)])).catch((e: unknown) => e)
    const controller = new AbortController()
    const cancelled = sink
      .send(batchOf([record(2, 1)]), { signal: controller.signal })
      .catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(0)
    controller.abort(new Error('unsubscribed'))
    expect(await cancelled).toMatchObject({ message: 'unsubscribed' })
    await sink.close()
    expect(await pending).toMatchObject({ code: 'SINK_CLOSED' })
    await expect(sink.send(batchOf([record(1, 0)]))).rejects.toMatchObject({ code: 'SINK_CLOSED' })
  })
})
