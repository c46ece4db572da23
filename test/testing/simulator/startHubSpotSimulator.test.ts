import { afterEach, describe, expect, it } from 'vitest'
import {
  type HubSpotSimulator,
  type HubSpotSimulatorOptions,
  startHubSpotSimulator,
  WRITE_SCOPE,
} from '../../../src/testing/index.js'

const V3 = '/marketing/v3/marketing-events'
const running: HubSpotSimulator[] = []

const start = async (options: HubSpotSimulatorOptions = {}): Promise<HubSpotSimulator> => {
  const sim = await startHubSpotSimulator(options)
  running.push(sim)
  return sim
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()))
})

interface Reply {
  status: number
  headers: Headers
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON, pinned down by the assertions
  body: any
}

const post = async (
  sim: HubSpotSimulator,
  path: string,
  body: unknown,
  token: string | null = sim.token,
): Promise<Reply> => {
  const res = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) }
}

const vidInput = (vid: number, t = 1_764_407_643_120, properties: Record<string, string> = {}) => ({
  vid,
  interactionDateTime: t,
  properties,
})
const emailInput = (
  email: string,
  t = 1_764_407_643_120,
  contactProperties: Record<string, string> = {},
) => ({
  email,
  interactionDateTime: t,
  properties: {},
  contactProperties,
})

const known: HubSpotSimulatorOptions = {
  events: [{ externalEventId: 'expo-2026', externalAccountId: 'acct-7', objectId: '555' }],
  contacts: [51234, 51235],
}

describe('startHubSpotSimulator: the contract status table', () => {
  it('200 with results, timestamps, correlation id and every rate-limit header', async () => {
    const sim = await start(known)
    const r = await post(sim, `${V3}/attendance/expo-2026/attend/create?externalAccountId=acct-7`, {
      inputs: [vidInput(51234, 1000, { joinedAt: '1000' })],
    })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ status: 'COMPLETE', results: [{ vid: 51234 }] })
    expect(typeof r.body.startedAt).toBe('string')
    expect(typeof r.body.completedAt).toBe('string')
    expect(r.headers.get('x-hubspot-correlation-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(r.headers.get('x-hubspot-ratelimit-max')).toBe('100')
    expect(r.headers.get('x-hubspot-ratelimit-remaining')).toBe('99')
    expect(r.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('10000')
    expect(r.headers.get('x-hubspot-ratelimit-daily')).toBe('250000')
    expect(r.headers.get('x-hubspot-ratelimit-daily-remaining')).toBe('249999')
  })

  it('400 VALIDATION_ERROR for bad JSON, with the parser message', async () => {
    const sim = await start(known)
    const r = await post(sim, `${V3}/attendance/expo-2026/attend/create`, '{"inputs": [')
    expect(r.status).toBe(400)
    expect(r.body.category).toBe('VALIDATION_ERROR')
    expect(r.body.status).toBe('error')
    expect(r.body.message).toMatch(/^Invalid input: Invalid input JSON: /)
    expect(r.body.correlationId).toBe(r.headers.get('x-hubspot-correlation-id'))
  })

  it('400 names every missing or mistyped field by path', async () => {
    const sim = await start(known)
    const r = await post(sim, `${V3}/attendance/expo-2026/register/create`, {
      inputs: [
        { vid: '51234', interactionDateTime: 1 },
        { vid: 51235, interactionDateTime: 2, properties: { a: 1 } },
      ],
    })
    expect(r.status).toBe(400)
    expect(r.body.errors).toEqual([
      {
        message: 'inputs[0].properties must be an object of strings, got undefined',
        code: 'REQUIRED',
        in: 'inputs[0].properties',
      },
      {
        message: 'inputs[0].vid must be an integer ≥ 1, got string',
        code: 'INVALID_TYPE',
        in: 'inputs[0].vid',
      },
      {
        message: 'inputs[1].properties.a must be a string, got number',
        code: 'INVALID_TYPE',
        in: 'inputs[1].properties.a',
      },
    ])
    expect(r.body.message).toBe(
      'Invalid input: inputs[0].properties must be an object of strings, got undefined (and 2 more problems)',
    )
  })

  it('400 for an unknown subscriberState', async () => {
    const sim = await start(known)
    const r = await post(sim, `${V3}/attendance/expo-2026/attended/create`, { inputs: [vidInput(51234)] })
    expect(r.status).toBe(400)
    expect(r.body.message).toBe(
      'Invalid input: Unknown subscriberState "attended": expected one of register, attend, cancel',
    )
  })

  it('400 for properties other than joinedAt/leftAt on attend, but not on register', async () => {
    const sim = await start(known)
    const bad = await post(sim, `${V3}/attendance/expo-2026/attend/create`, {
      inputs: [vidInput(51234, 1, { joinedAt: '1', seat: 'A4' })],
    })
    expect(bad.status).toBe(400)
    expect(bad.body.errors).toEqual([
      {
        message:
          'inputs[0].properties.seat is not allowed for subscriberState attend (only joinedAt, leftAt)',
        code: 'NOT_ALLOWED',
        in: 'inputs[0].properties.seat',
      },
    ])
    const ok = await post(sim, `${V3}/attendance/expo-2026/register/create`, {
      inputs: [vidInput(51234, 1, { seat: 'A4' })],
    })
    expect(ok.status).toBe(200)
  })

  it('400 for more than maxBatchSize inputs (default 100)', async () => {
    const sim = await start({ ...known, contacts: 'auto' })
    const inputs = Array.from({ length: 101 }, (_, i) => vidInput(i + 1))
    const r = await post(sim, `${V3}/attendance/expo-2026/register/create`, { inputs })
    expect(r.status).toBe(400)
    expect(r.body.message).toBe('Invalid input: Too many inputs: 101, at most 100 per request')
    expect(
      (await post(sim, `${V3}/attendance/expo-2026/register/create`, { inputs: inputs.slice(1) })).status,
    ).toBe(200)
  })

  it('401 INVALID_AUTHENTICATION for a missing or unknown token, without rate-limit headers', async () => {
    const sim = await start(known)
    const none = await post(sim, `${V3}/attendance/expo-2026/register/create`, { inputs: [] }, null)
    const wrong = await post(sim, `${V3}/attendance/expo-2026/register/create`, { inputs: [] }, 'nope')
    for (const r of [none, wrong]) {
      expect(r.status).toBe(401)
      expect(r.body.category).toBe('INVALID_AUTHENTICATION')
      expect(r.headers.get('x-hubspot-ratelimit-max')).toBeNull()
    }
  })

  it('401 EXPIRED_AUTHENTICATION for an expired token, by flag or by expiresAt on the injected clock', async () => {
    let clock = 1_000
    const sim = await start({
      ...known,
      now: () => clock,
      tokens: [
        { token: 'old', expired: true },
        { token: 'oauth', expiresAt: 2_000 },
      ],
    })
    expect(
      (await post(sim, `${V3}/attendance/expo-2026/register/create`, { inputs: [] }, 'old')).body.category,
    ).toBe('EXPIRED_AUTHENTICATION')
    expect(
      (await post(sim, `${V3}/attendance/expo-2026/register/create`, { inputs: [] }, 'oauth')).status,
    ).toBe(200)
    clock = 2_000
    const r = await post(sim, `${V3}/attendance/expo-2026/register/create`, { inputs: [] }, 'oauth')
    expect(r.status).toBe(401)
    expect(r.body.category).toBe('EXPIRED_AUTHENTICATION')
  })

  it('403 MISSING_SCOPES with requiredScopes', async () => {
    const sim = await start({
      ...known,
      tokens: [{ token: 'ro', scopes: ['crm.objects.marketing_events.read'] }],
    })
    const r = await post(sim, `${V3}/attendance/expo-2026/register/create`, { inputs: [] }, 'ro')
    expect(r.status).toBe(403)
    expect(r.body.category).toBe('MISSING_SCOPES')
    expect(r.body.errors[0].context).toEqual({ requiredScopes: [WRITE_SCOPE] })
  })

  it('404 OBJECT_NOT_FOUND for an unknown event, by external id, by account and by objectId', async () => {
    const sim = await start(known)
    const a = await post(sim, `${V3}/attendance/nope/register/create`, { inputs: [vidInput(51234)] })
    const b = await post(sim, `${V3}/attendance/expo-2026/register/create?externalAccountId=other`, {
      inputs: [vidInput(51234)],
    })
    const c = await post(sim, `${V3}/999/attendance/register/create`, { inputs: [vidInput(51234)] })
    expect([a.status, b.status, c.status]).toEqual([404, 404, 404])
    expect(a.body.category).toBe('OBJECT_NOT_FOUND')
    expect(b.body.message).toBe(
      'Marketing event with externalEventId expo-2026 and externalAccountId other not found',
    )
    expect(c.body.message).toBe('Marketing event with objectId 999 not found')
    expect(sim.participations()).toEqual([])
  })

  it('429 TEN_SECONDLY_ROLLING with policyName and, when enabled, Retry-After', async () => {
    const clock = 50_000
    const sim = await start({ ...known, now: () => clock, rateLimit: { max: 2, retryAfter: true } })
    const path = `${V3}/attendance/expo-2026/register/create`
    await post(sim, path, { inputs: [] })
    await post(sim, path, { inputs: [] })
    const r = await post(sim, path, { inputs: [] })
    expect(r.status).toBe(429)
    // Exactly HubSpot's fields: errorType and policyName, no `category` (contract §5).
    expect(r.body).toEqual({
      status: 'error',
      message: 'You have reached your ten_secondly_rolling limit.',
      errorType: 'RATE_LIMIT',
      correlationId: r.headers.get('x-hubspot-correlation-id'),
      policyName: 'TEN_SECONDLY_ROLLING',
      groupName: 'publicapi:marketing-events',
    })
    expect(r.headers.get('retry-after')).toBe('10')
    expect(r.headers.get('x-hubspot-ratelimit-remaining')).toBe('0')
    expect(sim.counters().rateLimited).toEqual({ total: 1, tenSecondly: 1, daily: 0 })
  })

  it('429 DAILY once the daily count is used up, until midnight in the account time zone', async () => {
    let clock = Date.UTC(2026, 10, 29, 22, 0, 0)
    const sim = await start({
      ...known,
      now: () => clock,
      rateLimit: { daily: 2, utcOffsetMinutes: 60, retryAfter: true },
    })
    const path = `${V3}/attendance/expo-2026/register/create`
    expect((await post(sim, path, { inputs: [] })).status).toBe(200)
    expect((await post(sim, path, { inputs: [] })).headers.get('x-hubspot-ratelimit-daily-remaining')).toBe(
      '0',
    )
    const r = await post(sim, path, { inputs: [] })
    expect(r.status).toBe(429)
    expect(r.body.policyName).toBe('DAILY')
    // 22:00 UTC is 23:00 at UTC+1: one hour to the account's midnight.
    expect(r.headers.get('retry-after')).toBe('3600')
    clock = Date.UTC(2026, 10, 29, 23, 0, 0)
    expect((await post(sim, path, { inputs: [] })).status).toBe(200)
  })

  it('no daily headers for a token without a daily limit (OAuth app)', async () => {
    const sim = await start({ ...known, tokens: [{ token: 'oauth', daily: null }] })
    const r = await post(sim, `${V3}/attendance/expo-2026/register/create`, { inputs: [] }, 'oauth')
    expect(r.headers.get('x-hubspot-ratelimit-max')).toBe('100')
    expect(r.headers.get('x-hubspot-ratelimit-daily')).toBeNull()
  })

  it('5xx from the fault script, with rate-limit headers and a JSON error body', async () => {
    const sim = await start({
      ...known,
      faults: { script: [{ status: 500 }, { status: 502 }, { status: 503, retryAfterSeconds: 7 }] },
    })
    const path = `${V3}/attendance/expo-2026/register/create`
    const a = await post(sim, path, { inputs: [] })
    const b = await post(sim, path, { inputs: [] })
    const c = await post(sim, path, { inputs: [] })
    const d = await post(sim, path, { inputs: [] })
    expect([a.status, b.status, c.status, d.status]).toEqual([500, 502, 503, 200])
    expect(c.headers.get('retry-after')).toBe('7')
    expect(a.headers.get('x-hubspot-ratelimit-max')).toBe('100')
    expect(a.body.message).toBe('Injected fault: HTTP 500')
    // Faults strike before the limiter: only the successful request used the window.
    expect(d.headers.get('x-hubspot-ratelimit-remaining')).toBe('99')
  })
})

describe('startHubSpotSimulator: rolling-window arithmetic', () => {
  const path = `${V3}/attendance/expo-2026/register/create`

  it('a request leaves the window exactly intervalMs after it arrived; 429s do not count by default', async () => {
    let clock = 0
    const sim = await start({ ...known, now: () => clock, rateLimit: { max: 3 } })
    const at = async (t: number) => {
      clock = t
      const r = await post(sim, path, { inputs: [] })
      return [r.status, r.headers.get('x-hubspot-ratelimit-remaining')]
    }
    expect(await at(0)).toEqual([200, '2'])
    expect(await at(1)).toEqual([200, '1'])
    expect(await at(2)).toEqual([200, '0'])
    expect(await at(3)).toEqual([429, '0'])
    expect(await at(9_999)).toEqual([429, '0'])
    expect(await at(10_000)).toEqual([200, '0']) // the request of t=0 left, this one took its place
    expect(await at(10_001)).toEqual([200, '0'])
    expect(await at(10_002)).toEqual([200, '0'])
    expect(await at(10_002)).toEqual([429, '0'])
    expect(await at(20_002)).toEqual([200, '2'])
    const tokens = sim.counters().tokens['test-token']
    expect(tokens).toMatchObject({ requests: 10, counted: 7, rateLimited: 3 })
    // Every request that arrived, 429s included, is in the arrival log; the busiest window saw 6 of them.
    expect(sim.windowCounts('test-token')).toEqual([1, 2, 3, 4, 5, 5, 5, 5, 6, 1])
    expect(tokens?.maxInWindow).toBe(6)
  })

  it('with count429, refused requests also fill the window', async () => {
    let clock = 0
    const sim = await start({ ...known, now: () => clock, rateLimit: { max: 2, count429: true } })
    await post(sim, path, { inputs: [] })
    await post(sim, path, { inputs: [] })
    clock = 5_000
    expect((await post(sim, path, { inputs: [] })).status).toBe(429)
    clock = 10_000
    // Both t=0 requests left, but the counted 429 of t=5000 is still inside.
    expect((await post(sim, path, { inputs: [] })).status).toBe(200)
    expect((await post(sim, path, { inputs: [] })).status).toBe(429)
  })

  it('keeps a separate window per token, with per-token maximums', async () => {
    const clock = 0
    const sim = await start({
      ...known,
      now: () => clock,
      tokens: ['t1', { token: 't2', max: 1 }],
      rateLimit: { max: 2 },
    })
    const statuses = []
    for (const token of ['t1', 't1', 't1', 't2', 't2'])
      statuses.push((await post(sim, path, { inputs: [] }, token)).status)
    expect(statuses).toEqual([200, 200, 429, 200, 429])
  })
})

describe('startHubSpotSimulator: data', () => {
  it('records participation idempotently and keeps history', async () => {
    const sim = await start(known)
    const path = `${V3}/attendance/expo-2026/attend/create?externalAccountId=acct-7`
    const body = { inputs: [vidInput(51234, 1000, { joinedAt: '1000' })] }
    await post(sim, path, body)
    const once = sim.participations()
    await post(sim, path, body)
    expect(sim.participations()).toEqual(once)
    expect(once).toEqual([
      {
        eventKey: 'acct-7/expo-2026',
        objectId: '555',
        externalEventId: 'expo-2026',
        externalAccountId: 'acct-7',
        contact: { vid: 51234 },
        state: 'attend',
        interactionDateTime: 1000,
        properties: { joinedAt: '1000' },
        history: [
          {
            state: 'attend',
            interactionDateTime: 1000,
            properties: { joinedAt: '1000' },
            recordedAt: expect.any(Number),
          },
        ],
      },
    ])
    expect(sim.counters().inputsAccepted).toBe(2)
  })

  it('the newest interactionDateTime gives the state; joinedAt and leftAt of one state merge', async () => {
    const sim = await start(known)
    await post(sim, `${V3}/555/attendance/register/create`, { inputs: [vidInput(51234, 100)] })
    await post(sim, `${V3}/555/attendance/attend/create`, {
      inputs: [vidInput(51234, 300, { leftAt: '300' })],
    })
    await post(sim, `${V3}/555/attendance/attend/create`, {
      inputs: [vidInput(51234, 200, { joinedAt: '200' })],
    })
    await post(sim, `${V3}/555/attendance/cancel/create`, { inputs: [vidInput(51234, 50)] })
    const [p] = sim.participations()
    expect(p).toMatchObject({
      state: 'attend',
      interactionDateTime: 300,
      properties: { joinedAt: '200', leftAt: '300' },
    })
    expect(p?.history.map((h) => h.state)).toEqual(['register', 'attend', 'attend', 'cancel'])
  })

  it('per-input mode: 200 lists the known vids and an error per unknown vid', async () => {
    const sim = await start(known)
    const r = await post(sim, `${V3}/attendance/expo-2026/register/create`, {
      inputs: [vidInput(51234), vidInput(7), vidInput(51235)],
    })
    expect(r.status).toBe(200)
    expect(r.body.results).toEqual([{ vid: 51234 }, { vid: 51235 }])
    expect(r.body.numErrors).toBe(1)
    expect(r.body.errors).toEqual([
      {
        status: 'error',
        category: 'VALIDATION_ERROR',
        message: 'Contact with vid 7 does not exist',
        context: { vids: ['7'] },
        errors: [{ message: 'Contact with vid 7 does not exist', code: 'CONTACT_NOT_FOUND', in: 'vid' }],
        links: {},
        id: expect.any(String),
      },
    ])
    expect(sim.participations().map((p) => p.contact.vid)).toEqual([51234, 51235])
    expect(sim.counters()).toMatchObject({ inputsAccepted: 2, inputsRejected: 1 })
  })

  it('whole-request mode: 400 naming the unknown vids, and nothing written', async () => {
    const sim = await start({ ...known, partialFailureMode: 'whole-request' })
    const r = await post(sim, `${V3}/attendance/expo-2026/register/create`, {
      inputs: [vidInput(51234), vidInput(7)],
    })
    expect(r.status).toBe(400)
    expect(r.body).toMatchObject({
      category: 'VALIDATION_ERROR',
      message: 'Invalid input: Contact with vid 7 does not exist',
      context: { vids: ['7'] },
      errors: [{ code: 'CONTACT_NOT_FOUND', in: 'inputs[1].vid', context: { vids: ['7'] } }],
    })
    expect(sim.participations()).toEqual([])
    sim.setPartialFailureMode('per-input')
    expect(
      (await post(sim, `${V3}/attendance/expo-2026/register/create`, { inputs: [vidInput(7)] })).status,
    ).toBe(200)
  })

  it('email variants create unknown contacts with contactProperties and never update them', async () => {
    const sim = await start(known)
    const path = `${V3}/attendance/expo-2026/register/email-create`
    const first = await post(sim, path, { inputs: [emailInput('Ada@Example.com', 1, { firstname: 'Ada' })] })
    expect(first.status).toBe(200)
    const vid = first.body.results[0].vid
    expect(first.body.results).toEqual([{ vid, email: 'Ada@Example.com' }])
    const again = await post(sim, path, {
      inputs: [emailInput('ada@example.com', 2, { firstname: 'Changed' })],
    })
    expect(again.body.results).toEqual([{ vid, email: 'ada@example.com' }])
    expect(sim.contacts().find((c) => c.vid === vid)).toEqual({
      vid,
      email: 'Ada@Example.com',
      properties: { firstname: 'Ada' },
    })
  })

  it('the email upsert (F) needs an existing contact unless upsertCreatesContacts', async () => {
    const path = `${V3}/events/expo-2026/register/email-upsert?externalAccountId=acct-7`
    const strict = await start({ ...known, contacts: [{ vid: 9, email: 'known@example.com' }] })
    const unknown = await post(strict, path, { inputs: [emailInput('new@example.com')] })
    expect(unknown.status).toBe(400)
    expect(unknown.body).toMatchObject({
      category: 'VALIDATION_ERROR',
      context: { emails: ['new@example.com'] },
      errors: [
        {
          message: 'Contact with email new@example.com does not exist',
          code: 'CONTACT_NOT_FOUND',
          in: 'inputs[0].email',
        },
      ],
    })
    expect(strict.contacts()).toEqual([{ vid: 9, email: 'known@example.com', properties: {} }])
    expect((await post(strict, path, { inputs: [emailInput('KNOWN@example.com')] })).status).toBe(204)
    expect(strict.participations().map((p) => p.contact.vid)).toEqual([9])

    const lenient = await start({ ...known, upsertCreatesContacts: true })
    expect((await post(lenient, path, { inputs: [emailInput('new@example.com')] })).status).toBe(204)
    expect(lenient.contacts().flatMap((c) => c.email ?? [])).toEqual(['new@example.com'])
  })

  it('an invalid email is a per-input error naming it in context.emails', async () => {
    const sim = await start(known)
    const r = await post(sim, `${V3}/555/attendance/register/email-create`, {
      inputs: [emailInput('not-an-email'), emailInput('ok@example.com')],
    })
    expect(r.status).toBe(200)
    expect(r.body.results).toEqual([{ vid: expect.any(Number), email: 'ok@example.com' }])
    expect(r.body.errors[0]).toMatchObject({
      message: 'Invalid email address: not-an-email',
      context: { emails: ['not-an-email'] },
    })
  })

  it('without externalAccountId an externalEventId must name exactly one event', async () => {
    const sim = await start({
      events: [
        { externalEventId: 'x', externalAccountId: 'a1' },
        { externalEventId: 'x', externalAccountId: 'a2' },
      ],
      contacts: [1],
    })
    const r = await post(sim, `${V3}/attendance/x/register/create`, { inputs: [vidInput(1)] })
    expect(r.status).toBe(400)
    expect(r.body.message).toBe('Several marketing events have externalEventId x: pass externalAccountId')
    expect(
      (await post(sim, `${V3}/attendance/x/register/create?externalAccountId=a2`, { inputs: [vidInput(1)] }))
        .status,
    ).toBe(200)
  })

  it("events: 'auto' and contacts: 'auto' accept anything, and encoded ids keep their slashes", async () => {
    const sim = await start({ events: 'auto', contacts: 'auto' })
    const r = await post(
      sim,
      `${V3}/attendance/${encodeURIComponent('expo/2026 #1')}/register/create?externalAccountId=a`,
      {
        inputs: [vidInput(42)],
      },
    )
    expect(r.status).toBe(200)
    expect(sim.events()).toEqual([
      { objectId: expect.any(String), externalEventId: 'expo/2026 #1', externalAccountId: 'a' },
    ])
    expect(sim.participations()[0]).toMatchObject({ eventKey: 'a/expo/2026 #1', contact: { vid: 42 } })
  })

  it('serves variants A–F under all three prefixes', async () => {
    const sim = await start({ ...known, events: 'auto', contacts: 'auto' })
    const prefixes = {
      v3: V3,
      '2026-03': '/marketing/marketing-events/2026-03',
      '2026-09': '/marketing/marketing-events/2026-09',
    }
    const expected: Record<string, Record<string, number>> = {}
    for (const [version, p] of Object.entries(prefixes)) {
      const calls: [string, string, unknown, number][] = [
        ['A', `${p}/attendance/x/register/create`, vidInput(1), 200],
        ['B', `${p}/attendance/x/register/email-create`, emailInput('a@b.co'), 200],
        ['C', `${p}/555/attendance/register/create`, vidInput(1), 200],
        ['D', `${p}/555/attendance/register/email-create`, emailInput('a@b.co'), 200],
        ['E', `${p}/events/expo-2026/register/upsert?externalAccountId=acct-7`, vidInput(1), 204],
        [
          'F',
          `${p}/events/expo-2026/register/email-upsert?externalAccountId=acct-7`,
          emailInput('a@b.co'),
          204,
        ],
      ]
      for (const [variant, path, input, status] of calls) {
        const r = await post(sim, path, { inputs: [input] })
        expect(r.status, `${version} ${variant}`).toBe(status)
        expected[`${version}:${variant}`] = { [String(status)]: 1 }
      }
    }
    expect(sim.counters().byRoute).toEqual(expected)
  })

  it('upserts need externalAccountId and fail whole on an unknown vid (no body to carry per-input errors)', async () => {
    const sim = await start(known)
    const noAccount = await post(sim, `${V3}/events/expo-2026/register/upsert`, { inputs: [vidInput(51234)] })
    expect(noAccount.status).toBe(400)
    expect(noAccount.body.errors).toEqual([
      { message: 'externalAccountId is required', code: 'REQUIRED', in: 'externalAccountId' },
    ])
    const unknown = await post(sim, `${V3}/events/expo-2026/register/upsert?externalAccountId=acct-7`, {
      inputs: [vidInput(7)],
    })
    expect(unknown.status).toBe(400)
  })
})

describe('startHubSpotSimulator: the OAuth token endpoint (contract §5)', () => {
  const app = { clientId: 'cid', clientSecret: 'csecret', refreshToken: 'rt-0' }
  const refresh = async (sim: HubSpotSimulator, refreshToken: string, clientSecret = app.clientSecret) => {
    const res = await fetch(`${sim.url}/oauth/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: app.clientId,
        client_secret: clientSecret,
        refresh_token: refreshToken,
      }).toString(),
    })
    // biome-ignore lint/suspicious/noExplicitAny: JSON pinned down by the assertions
    return { status: res.status, body: (await res.json()) as any }
  }

  it('grants expiring access tokens, rotates the refresh token, and answers an expired one with 401 EXPIRED_AUTHENTICATION', async () => {
    let clock = 0
    const sim = await start({
      ...known,
      tokens: [],
      now: () => clock,
      oauth: { apps: [app], accessTokenTtlMs: 5000, rotateRefreshTokens: true },
    })
    const granted = await refresh(sim, 'rt-0')
    expect(granted.status).toBe(200)
    expect(granted.body).toEqual({
      access_token: expect.stringMatching(/^sim-oauth-at-1-/),
      refresh_token: expect.stringMatching(/^sim-oauth-rt-1-/),
      expires_in: 5,
      token_type: 'bearer',
    })
    const path = `${V3}/attendance/expo-2026/register/create`
    expect((await post(sim, path, { inputs: [] }, granted.body.access_token)).status).toBe(200)
    clock = 5000
    const expired = await post(sim, path, { inputs: [] }, granted.body.access_token)
    expect(expired.status).toBe(401)
    expect(expired.body).toMatchObject({
      category: 'EXPIRED_AUTHENTICATION',
      message: 'The access token has expired',
    })
    expect(typeof expired.body.correlationId).toBe('string')
    expect((await refresh(sim, 'rt-0')).body).toMatchObject({ status: 'BAD_REFRESH_TOKEN' })
    expect((await refresh(sim, granted.body.refresh_token, 'wrong')).body).toMatchObject({
      status: 'BAD_CLIENT_ID',
    })
    expect((await refresh(sim, granted.body.refresh_token)).status).toBe(200)
    expect(sim.oauth()).toMatchObject({ refreshes: 2, refused: 2, refreshesByClient: { cid: 2 } })
    expect(sim.counters().tokens[granted.body.access_token]).toMatchObject({ requests: 2, expired: 1 })
    expect(sim.requestLog().map((e) => [e.account, e.status, e.category])).toEqual([
      ['oauth:cid', '200', undefined],
      ['oauth:cid', '401', 'EXPIRED_AUTHENTICATION'],
    ])
  })
})

describe('startHubSpotSimulator: the request log and revoked tokens', () => {
  it('logs every attendance request with its arrival, token, account, event, inputs and answer', async () => {
    let clock = 100
    const sim = await start({
      ...known,
      now: () => clock,
      tokens: [
        { token: 'pat-a', max: 1 },
        { token: 'pat-b', account: 'portal-b' },
      ],
    })
    const path = `${V3}/attendance/expo-2026/register/create`
    await post(sim, path, { inputs: [vidInput(51234, 1), vidInput(51235, 1)] }, 'pat-a')
    clock = 200
    await post(sim, path, { inputs: [vidInput(51234, 2)] }, 'pat-a')
    await post(sim, `${V3}/555/attendance/attend/create`, { inputs: [] }, 'pat-b')
    await post(sim, '/nowhere', {}, null)
    expect(sim.requestLog()).toEqual([
      {
        at: 100,
        token: 'pat-a',
        account: 'pat-a',
        route: 'v3:A',
        eventId: 'expo-2026',
        inputs: 2,
        status: '200',
      },
      {
        at: 200,
        token: 'pat-a',
        account: 'pat-a',
        route: 'v3:A',
        eventId: 'expo-2026',
        inputs: 0,
        status: '429',
      },
      {
        at: 200,
        token: 'pat-b',
        account: 'portal-b',
        route: 'v3:C',
        eventId: '555',
        inputs: 0,
        status: '200',
      },
      {
        at: 200,
        token: undefined,
        account: undefined,
        route: 'unmatched',
        eventId: undefined,
        inputs: 0,
        status: '401',
        category: 'INVALID_AUTHENTICATION',
      },
    ])
  })

  it('answers a revoked token 401 INVALID_AUTHENTICATION from the next request on, and keeps the others', async () => {
    const sim = await start({ ...known, tokens: ['pat-a', 'pat-b'] })
    const path = `${V3}/attendance/expo-2026/register/create`
    expect((await post(sim, path, { inputs: [] }, 'pat-a')).status).toBe(200)
    sim.revokeToken('pat-a')
    const refused = await post(sim, path, { inputs: [] }, 'pat-a')
    expect(refused.status).toBe(401)
    expect(refused.body).toMatchObject({
      category: 'INVALID_AUTHENTICATION',
      message: 'The access token is not valid',
    })
    expect((await post(sim, path, { inputs: [] }, 'pat-b')).status).toBe(200)
    expect(sim.requestLog().map((e) => [e.token, e.account, e.status])).toEqual([
      ['pat-a', 'pat-a', '200'],
      ['pat-a', undefined, '401'],
      ['pat-b', 'pat-b', '200'],
    ])
  })
})

describe('startHubSpotSimulator: its own crashes', () => {
  it('counts and exposes a crash in its handler, answered 500 SIMULATOR_CRASH (not an injected fault)', async () => {
    let armed = false
    const seen: unknown[] = []
    const sim = await start({
      ...known,
      now: () => {
        if (armed) throw new Error('clock broke')
        return Date.now()
      },
      onHandlerCrash: (e) => seen.push(e),
    })
    const path = `${V3}/attendance/expo-2026/register/create`
    expect((await post(sim, path, { inputs: [] })).status).toBe(200)
    expect(sim.handlerCrashes()).toEqual([])
    armed = true
    const r = await post(sim, path, { inputs: [] })
    expect(r.status).toBe(500)
    expect(r.body).toMatchObject({
      category: 'SIMULATOR_CRASH',
      message: "The simulator's handler crashed: clock broke",
    })
    expect(sim.handlerCrashes()).toEqual([new Error('clock broke')])
    expect(seen).toEqual([new Error('clock broke')])
    expect(sim.counters()).toMatchObject({ handlerCrashes: 1, faults: { status: 0, reset: 0, hang: 0 } })
  })
})

describe('startHubSpotSimulator: faults', () => {
  const path = `${V3}/attendance/expo-2026/register/create`
  const statuses = async (sim: HubSpotSimulator, n: number): Promise<number[]> => {
    const out: number[] = []
    for (let i = 0; i < n; i++) out.push((await post(sim, path, { inputs: [] })).status)
    return out
  }

  it('random 5xx replay exactly for the same seed', async () => {
    const faults = { errorRate: 0.5, errorStatuses: [500, 502, 503] }
    const a = await statuses(await start({ ...known, seed: 42, faults }), 30)
    const b = await statuses(await start({ ...known, seed: 42, faults }), 30)
    const c = await statuses(await start({ ...known, seed: 7, faults }), 30)
    expect(a).toEqual(b)
    expect(a).not.toEqual(c)
    const failed = a.filter((s) => s >= 500).length
    expect(failed).toBeGreaterThan(5)
    expect(failed).toBeLessThan(25)
  })

  it('an outage scripted at runtime ends when the plan changes', async () => {
    const sim = await start(known)
    expect(await statuses(sim, 1)).toEqual([200])
    sim.setFaults({ errorRate: 1, errorStatuses: [503] })
    expect(await statuses(sim, 3)).toEqual([503, 503, 503])
    sim.setFaults({})
    expect(await statuses(sim, 1)).toEqual([200])
    expect(sim.counters().faults.status).toBe(3)
  })

  it('a reset closes the connection without a response', async () => {
    const sim = await start({ ...known, faults: { script: ['reset'] } })
    await expect(post(sim, path, { inputs: [] })).rejects.toThrow()
    expect((await post(sim, path, { inputs: [] })).status).toBe(200)
    expect(sim.counters().byRoute['v3:A']).toEqual({ reset: 1, '200': 1 })
  })

  it('a hang never answers; stop() still closes the socket', async () => {
    const sim = await start({ ...known, faults: { script: ['hang'] } })
    const hung = post(sim, path, { inputs: [] })
    // The request reached the server: wait for it to be counted, not for a timer.
    await expect.poll(() => sim.counters().faults.hang).toBe(1)
    await sim.stop()
    await expect(hung).rejects.toThrow()
  })

  it('adds fixed latency', async () => {
    const sim = await start({ ...known, faults: { latency: { fixedMs: 120 } } })
    const t0 = performance.now()
    expect((await post(sim, path, { inputs: [] })).status).toBe(200)
    expect(performance.now() - t0).toBeGreaterThanOrEqual(110)
  })
})
