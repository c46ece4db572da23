import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { CONFIG_DEFAULTS } from '../../../src/config/defaults.js'
import { Secret } from '../../../src/secret.js'
import type { CallFailure, CallResult, CallSuccess } from '../../../src/sinks/hubspot/callResult.js'
import {
  type ApiVersion,
  createHubSpotClient,
  type HubSpotClient,
  type HubSpotClientOptions,
} from '../../../src/sinks/hubspot/client.js'
import {
  type HubSpotSimulator,
  type HubSpotSimulatorOptions,
  startHubSpotSimulator,
} from '../../../src/testing/index.js'

const TOKEN = 'pat-na1-0000SECRET-TOKEN-do-not-log'
const cleanups: (() => Promise<void>)[] = []

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const simulator = async (options: HubSpotSimulatorOptions = {}): Promise<HubSpotSimulator> => {
  const sim = await startHubSpotSimulator({ tokens: [TOKEN], ...options })
  cleanups.push(() => sim.stop())
  return sim
}

const clientFor = (url: string, options: Partial<HubSpotClientOptions> = {}): HubSpotClient => {
  const client = createHubSpotClient({ baseUrl: url, token: TOKEN, ...options })
  cleanups.push(() => client.close())
  return client
}

const known: HubSpotSimulatorOptions = {
  events: [{ externalEventId: 'expo-2026', externalAccountId: 'acct-7', objectId: '555' }],
  contacts: [51234, 51235],
}

const vid = (v: number, t = 1000) => ({ vid: v, interactionDateTime: t, properties: {} })
const email = (e: string, t = 1000) => ({
  email: e,
  interactionDateTime: t,
  properties: {},
  contactProperties: {},
})

const success = (r: CallResult): CallSuccess => {
  if (r._tag !== 'success') throw new Error(`expected success, got ${r.kind}: ${r.message}`)
  return r
}
const failure = (r: CallResult): CallFailure => {
  if (r._tag !== 'failure') throw new Error('expected failure, got success')
  return r
}

describe('createHubSpotClient: variants and versions', () => {
  const versions: ApiVersion[] = ['v3', '2026-03', '2026-09']

  it.each(versions)('speaks variants A–F under API version %s', async (apiVersion) => {
    // The upserts (E, F) need an existing contact, as HubSpot's docs say.
    const sim = await simulator({ ...known, contacts: [51234, 51235, { vid: 3, email: 'cy@example.com' }] })
    const client = clientFor(sim.url, { apiVersion })
    const ext = {
      externalEventId: 'expo-2026',
      externalAccountId: 'acct-7',
      subscriberState: 'attend' as const,
    }
    const results = [
      await client.createByExternalId({ ...ext, inputs: [vid(51234)] }),
      await client.emailCreateByExternalId({ ...ext, inputs: [email('ada@example.com')] }),
      await client.createByObjectId({ objectId: '555', subscriberState: 'attend', inputs: [vid(51235)] }),
      await client.emailCreateByObjectId({
        objectId: '555',
        subscriberState: 'attend',
        inputs: [email('bob@example.com')],
      }),
      await client.upsertByExternalId({ ...ext, inputs: [vid(51234, 2000)] }),
      await client.emailUpsertByExternalId({ ...ext, inputs: [email('cy@example.com')] }),
    ].map(success)
    expect(results.map((r) => [r.httpStatus, r.status, r.acceptedIndices, r.rejected])).toEqual([
      [200, 'COMPLETE', [0], []],
      [200, 'COMPLETE', [0], []],
      [200, 'COMPLETE', [0], []],
      [200, 'COMPLETE', [0], []],
      [204, 'NO_CONTENT', [0], []],
      [204, 'NO_CONTENT', [0], []],
    ])
    expect(Object.keys(sim.counters().byRoute).sort()).toEqual(
      ['A', 'B', 'C', 'D', 'E', 'F'].map((v) => `${apiVersion}:${v}`),
    )
    expect(results[0]?.correlationId).toMatch(/^[0-9a-f-]{36}$/)
    expect(results[0]?.rateLimit).toEqual({
      max: 100,
      remaining: 99,
      intervalMs: 10000,
      daily: 250000,
      dailyRemaining: 249999,
    })
    expect(sim.participations()).toHaveLength(5)
  })

  it('recordAttendance picks the variant from event kind, contact kind and mode', async () => {
    const sim = await simulator(known)
    const client = clientFor(sim.url)
    const ext = { kind: 'external' as const, externalEventId: 'expo-2026', externalAccountId: 'acct-7' }
    const obj = { kind: 'object' as const, objectId: '555' }
    const s = 'register' as const
    await client.recordAttendance({
      event: ext,
      subscriberState: s,
      contactKind: 'vid',
      inputs: [vid(51234)],
    })
    await client.recordAttendance({
      event: ext,
      subscriberState: s,
      contactKind: 'email',
      inputs: [email('a@b.co')],
    })
    await client.recordAttendance({
      event: obj,
      subscriberState: s,
      contactKind: 'vid',
      inputs: [vid(51234)],
    })
    await client.recordAttendance({
      event: obj,
      subscriberState: s,
      contactKind: 'email',
      inputs: [email('a@b.co')],
    })
    await client.recordAttendance({
      event: ext,
      subscriberState: s,
      contactKind: 'vid',
      inputs: [vid(51234)],
      mode: 'upsert',
    })
    await client.recordAttendance({
      event: ext,
      subscriberState: s,
      contactKind: 'email',
      inputs: [email('a@b.co')],
      mode: 'upsert',
    })
    const upsertObj = failure(
      await client.recordAttendance({
        event: obj,
        subscriberState: s,
        contactKind: 'vid',
        inputs: [vid(1)],
        mode: 'upsert',
      }),
    )
    expect(upsertObj.kind).toBe('validation')
    expect(sim.counters().byRoute).toEqual({
      '2026-09:A': { '200': 1 },
      '2026-09:B': { '200': 1 },
      '2026-09:C': { '200': 1 },
      '2026-09:D': { '200': 1 },
      '2026-09:E': { '204': 1 },
      '2026-09:F': { '204': 1 },
    })
  })

  it('URL-encodes the externalEventId and the account, and keeps a base-URL path prefix', async () => {
    const sim = await simulator({ events: 'auto', contacts: 'auto' })
    const client = clientFor(sim.url)
    success(
      await client.createByExternalId({
        externalEventId: 'expo/2026 #1?x',
        externalAccountId: 'a&b=c',
        subscriberState: 'register',
        inputs: [vid(1)],
      }),
    )
    expect(sim.events()).toEqual([
      { objectId: expect.any(String), externalEventId: 'expo/2026 #1?x', externalAccountId: 'a&b=c' },
    ])
    const prefixed = clientFor(`${sim.url}/proxy/`)
    // The simulator knows no /proxy prefix: the 404 proves the prefix was sent.
    expect(
      failure(await prefixed.createByObjectId({ objectId: '1', subscriberState: 'register', inputs: [] }))
        .kind,
    ).toBe('notFound')
  })

  it('an upsert without externalAccountId fails as validation without a request', async () => {
    const sim = await simulator(known)
    const client = clientFor(sim.url)
    const r = failure(
      await client.upsertByExternalId({
        externalEventId: 'expo-2026',
        externalAccountId: '',
        subscriberState: 'attend',
        inputs: [vid(1)],
      }),
    )
    expect(r).toMatchObject({
      kind: 'validation',
      retryable: false,
      message: 'variant E (upsert) needs externalAccountId',
    })
    expect(sim.counters().requests).toBe(0)
  })
})

describe('createHubSpotClient: per-input outcomes', () => {
  it('maps per-input errors of a 200 to input indices', async () => {
    const sim = await simulator(known)
    const client = clientFor(sim.url)
    const r = success(
      await client.createByExternalId({
        externalEventId: 'expo-2026',
        subscriberState: 'register',
        inputs: [vid(9), vid(51234), vid(8), vid(51235)],
      }),
    )
    expect(r.acceptedIndices).toEqual([1, 3])
    expect(r.rejected).toEqual([
      {
        index: 0,
        message: 'Contact with vid 9 does not exist',
        category: 'VALIDATION_ERROR',
        code: 'CONTACT_NOT_FOUND',
      },
      {
        index: 2,
        message: 'Contact with vid 8 does not exist',
        category: 'VALIDATION_ERROR',
        code: 'CONTACT_NOT_FOUND',
      },
    ])
  })

  it('names the bad inputs of a whole-request 400, so the sink can isolate them', async () => {
    const sim = await simulator({ ...known, partialFailureMode: 'whole-request' })
    const client = clientFor(sim.url)
    const r = failure(
      await client.createByExternalId({
        externalEventId: 'expo-2026',
        subscriberState: 'register',
        inputs: [vid(51234), vid(8)],
      }),
    )
    expect(r).toMatchObject({
      kind: 'validation',
      retryable: false,
      httpStatus: 400,
      category: 'VALIDATION_ERROR',
    })
    expect(r.rejected).toEqual([
      {
        index: 1,
        message: 'Contact with vid 8 does not exist',
        category: 'VALIDATION_ERROR',
        code: 'CONTACT_NOT_FOUND',
      },
    ])
    expect(r.details).toEqual(['CONTACT_NOT_FOUND: Contact with vid 8 does not exist (in inputs[1].vid)'])
  })

  it('marks a 400 that blames only the request (not splittable), but not one about too many inputs', async () => {
    const sim = await simulator({
      events: [
        { externalEventId: 'expo-2026', externalAccountId: 'acct-a' },
        { externalEventId: 'expo-2026', externalAccountId: 'acct-b' },
      ],
      contacts: 'auto',
      maxBatchSize: 1,
    })
    const client = clientFor(sim.url)
    const call = (n: number) =>
      client.createByExternalId({
        externalEventId: 'expo-2026',
        subscriberState: 'register',
        inputs: Array.from({ length: n }, (_, i) => vid(i + 1)),
      })
    expect(failure(await call(1))).toMatchObject({ kind: 'validation', httpStatus: 400, requestLevel: true })
    const tooMany = failure(await call(2))
    expect(tooMany).toMatchObject({ kind: 'validation', httpStatus: 400 })
    expect(tooMany.requestLevel).toBeUndefined()
  })

  it('maps a structural 400 to the inputs named by path', async () => {
    const sim = await simulator(known)
    const client = clientFor(sim.url)
    const r = failure(
      await client.createByExternalId({
        externalEventId: 'expo-2026',
        subscriberState: 'attend',
        inputs: [vid(51234), { vid: 51235, interactionDateTime: 1, properties: { seat: 'A4' } }],
      }),
    )
    expect(r.rejected?.map((x) => [x.index, x.code])).toEqual([[1, 'NOT_ALLOWED']])
    expect(r.message).toBe(
      'HubSpot 400 VALIDATION_ERROR: Invalid input: inputs[1].properties.seat is not allowed for subscriberState attend (only joinedAt, leftAt)',
    )
  })
})

describe('createHubSpotClient: failure tags', () => {
  const call = (client: HubSpotClient, eventId = 'expo-2026') =>
    client.createByExternalId({ externalEventId: eventId, subscriberState: 'register', inputs: [vid(51234)] })

  it('unauthenticated: invalid and expired tokens, not retryable', async () => {
    const sim = await simulator({ ...known, tokens: [{ token: TOKEN, expired: true }] })
    const expired = failure(await call(clientFor(sim.url)))
    const invalid = failure(await call(createHubSpotClient({ baseUrl: sim.url, token: 'other' })))
    expect(expired).toMatchObject({
      kind: 'unauthenticated',
      retryable: false,
      httpStatus: 401,
      category: 'EXPIRED_AUTHENTICATION',
    })
    expect(invalid).toMatchObject({
      kind: 'unauthenticated',
      retryable: false,
      category: 'INVALID_AUTHENTICATION',
    })
  })

  it('missingScopes', async () => {
    const sim = await simulator({ ...known, tokens: [{ token: TOKEN, scopes: [] }] })
    expect(failure(await call(clientFor(sim.url)))).toMatchObject({
      kind: 'missingScopes',
      retryable: false,
      httpStatus: 403,
      category: 'MISSING_SCOPES',
      details: ['One or more of the following scopes are required.'],
    })
  })

  it('notFound', async () => {
    const sim = await simulator(known)
    const r = failure(await call(clientFor(sim.url), 'nope'))
    expect(r).toMatchObject({
      kind: 'notFound',
      retryable: false,
      httpStatus: 404,
      category: 'OBJECT_NOT_FOUND',
    })
    expect(r.correlationId).toBe((r.body as { correlationId: string }).correlationId)
  })

  it('rateLimited TEN_SECONDLY_ROLLING: retryable, with Retry-After in ms', async () => {
    const sim = await simulator({ ...known, now: () => 0, rateLimit: { max: 1, retryAfter: true } })
    const client = clientFor(sim.url)
    success(await call(client))
    expect(failure(await call(client))).toMatchObject({
      kind: 'rateLimited',
      retryable: true,
      httpStatus: 429,
      policy: 'TEN_SECONDLY_ROLLING',
      retryAfterMs: 10_000,
      rateLimit: { max: 1, remaining: 0, intervalMs: 10_000, retryAfterMs: 10_000 },
    })
  })

  it('rateLimited DAILY: not retryable', async () => {
    const sim = await simulator({ ...known, rateLimit: { daily: 1 } })
    const client = clientFor(sim.url)
    success(await call(client))
    const r = failure(await call(client))
    expect(r).toMatchObject({
      kind: 'rateLimited',
      retryable: false,
      policy: 'DAILY',
      rateLimit: { dailyRemaining: 0 },
    })
    expect(r.retryAfterMs).toBeUndefined()
  })

  it('server: 500/502/503, retryable', async () => {
    const sim = await simulator({
      ...known,
      faults: { script: [{ status: 500 }, { status: 502 }, { status: 503 }] },
    })
    const client = clientFor(sim.url)
    for (const status of [500, 502, 503])
      expect(failure(await call(client))).toMatchObject({
        kind: 'server',
        retryable: true,
        httpStatus: status,
      })
  })

  it('network: a connection reset, retryable; the next call recovers', async () => {
    const sim = await simulator({ ...known, faults: { script: ['reset'] } })
    const client = clientFor(sim.url)
    const r = failure(await call(client))
    expect(r).toMatchObject({ kind: 'network', retryable: true })
    expect(r.httpStatus).toBeUndefined()
    success(await call(client))
  })

  it('network: nothing listening', async () => {
    const sim = await simulator(known)
    await sim.stop()
    expect(failure(await call(clientFor(sim.url)))).toMatchObject({ kind: 'network', retryable: true })
  })

  it('timeout: a hang longer than headersTimeoutMs', async () => {
    const sim = await simulator({ ...known, faults: { script: ['hang'] } })
    const client = clientFor(sim.url, { headersTimeoutMs: 150 })
    const r = failure(await call(client))
    expect(r).toMatchObject({ kind: 'timeout', retryable: true })
    expect(r.message).toMatch(/^HubSpot request timed out \(UND_ERR_HEADERS_TIMEOUT\)/)
    success(await call(client))
  })

  it('network, retryable: aborted by the caller while waiting', async () => {
    const sim = await simulator({ ...known, faults: { script: ['hang'] } })
    const client = clientFor(sim.url)
    const ac = new AbortController()
    const aborted = client.createByExternalId(
      { externalEventId: 'expo-2026', subscriberState: 'register', inputs: [] },
      { signal: ac.signal },
    )
    await expect.poll(() => sim.counters().faults.hang).toBe(1)
    ac.abort()
    expect(failure(await aborted)).toMatchObject({
      kind: 'network',
      retryable: true,
      message: 'request aborted by the caller',
    })
  })

  it('network, not retryable, after close()', async () => {
    const sim = await simulator(known)
    const client = clientFor(sim.url)
    await client.close()
    expect(failure(await call(client))).toMatchObject({
      kind: 'network',
      retryable: false,
      message: 'the HubSpot client is closed',
    })
  })

  describe('against a misbehaving server', () => {
    let server: Server
    let reply: (body: string, status: number) => void = () => {}
    const listen = async (): Promise<string> => {
      server = createServer((req, res) => {
        req.resume()
        req.on('end', () => {
          reply = (body, status) => {
            res.statusCode = status
            res.setHeader('content-type', 'application/json')
            res.end(body)
          }
          respond(req.headers.authorization ?? '')
        })
      })
      cleanups.push(() => new Promise((r) => server.close(() => r())))
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    }
    let respond: (auth: string) => void = () => {}

    it('badResponse: 200 with a body that is not JSON is retryable, a wrong shape is not', async () => {
      const client = clientFor(await listen())
      respond = () => reply('<html>gateway</html>', 200)
      expect(failure(await call(client))).toMatchObject({
        kind: 'badResponse',
        retryable: true,
        httpStatus: 200,
        body: '<html>gateway</html>',
      })
      respond = () => reply('{"status":"DONE","results":"x"}', 200)
      expect(failure(await call(client))).toMatchObject({
        kind: 'badResponse',
        retryable: false,
        httpStatus: 200,
      })
    })

    // HubSpot's Error schema requires only category, correlationId and message (contract §5).
    it('reads a spec-shaped 400 without status, keeping the inputs its context.vids names', async () => {
      const client = clientFor(await listen())
      respond = () =>
        reply(
          JSON.stringify({
            category: 'VALIDATION_ERROR',
            correlationId: 'c-400',
            message: 'Contact 7 does not exist',
            context: { vids: ['7'] },
          }),
          400,
        )
      const r = failure(
        await client.createByExternalId({
          externalEventId: 'expo-2026',
          subscriberState: 'register',
          inputs: [vid(51234), vid(7)],
        }),
      )
      expect(r).toMatchObject({
        kind: 'validation',
        category: 'VALIDATION_ERROR',
        correlationId: 'c-400',
        message: 'HubSpot 400 VALIDATION_ERROR: Contact 7 does not exist',
        rejected: [{ index: 1, message: 'Contact 7 does not exist', category: 'VALIDATION_ERROR' }],
      })
    })

    it('recognises a DAILY 429 without status or category by its policyName', async () => {
      const client = clientFor(await listen())
      respond = () =>
        reply(
          JSON.stringify({
            errorType: 'RATE_LIMIT',
            policyName: 'DAILY',
            message: 'You have reached your daily limit.',
            correlationId: 'c-429',
          }),
          429,
        )
      expect(failure(await call(client))).toMatchObject({
        kind: 'rateLimited',
        retryable: false,
        policy: 'DAILY',
        category: 'RATE_LIMIT',
        correlationId: 'c-429',
        message: 'HubSpot 429 RATE_LIMIT: You have reached your daily limit.',
      })
    })

    it('an error body missing a field the schema requires is shown raw, and its status still decides', async () => {
      const client = clientFor(await listen())
      respond = () => reply(JSON.stringify({ status: 'error', message: 'no category here' }), 503)
      const r = failure(await call(client))
      expect(r).toMatchObject({ kind: 'server', retryable: true, httpStatus: 503 })
      expect(r.category).toBeUndefined()
      expect(r.message).toBe('HubSpot 503: {"status":"error","message":"no category here"}')
    })

    it('redacts the token even when a server echoes it back', async () => {
      const client = clientFor(await listen())
      respond = (auth) =>
        reply(
          JSON.stringify({
            status: 'error',
            message: `bad header ${auth}`,
            category: 'VALIDATION_ERROR',
            correlationId: 'c-1',
          }),
          400,
        )
      const r = failure(await call(client))
      expect(r.message).toBe('HubSpot 400 VALIDATION_ERROR: bad header Bearer [REDACTED]')
      expect(JSON.stringify(r)).not.toContain(TOKEN)
    })
  })
})

describe('createHubSpotClient: segments no encoding can carry', () => {
  // URL parsers collapse `.`/`..` (and `%2e`, `%2E%2E`) and encodeURIComponent throws on a lone surrogate.
  it.each([
    ['.', 'externalEventId is ".", which URL parsing removes from a path: the request was not sent'],
    ['..', 'externalEventId is "..", which URL parsing removes from a path: the request was not sent'],
    ['', 'externalEventId is empty: the request was not sent'],
    [
      'expo-\uD800',
      'externalEventId contains a lone surrogate, which has no UTF-8 form: the request was not sent',
    ],
  ])('refuses externalEventId %j unsent, as a validation failure (never a throw)', async (id, message) => {
    const sim = await simulator(known)
    const client = clientFor(sim.url)
    const r = failure(
      await client.createByExternalId({
        externalEventId: id,
        subscriberState: 'register',
        inputs: [vid(51234)],
      }),
    )
    expect(r).toEqual({
      _tag: 'failure',
      kind: 'validation',
      retryable: false,
      message,
      rateLimit: {},
      details: [],
    })
    expect(sim.counters().requests).toBe(0)
  })

  it('refuses a lone surrogate in objectId or externalAccountId, and accepts paired surrogates and dots inside', async () => {
    const sim = await simulator({ ...known, events: 'auto', contacts: 'auto' })
    const client = clientFor(sim.url)
    expect(
      failure(await client.createByObjectId({ objectId: '\uDC00', subscriberState: 'attend', inputs: [] }))
        .message,
    ).toBe('objectId contains a lone surrogate, which has no UTF-8 form: the request was not sent')
    expect(
      failure(
        await client.upsertByExternalId({
          externalEventId: 'expo-2026',
          externalAccountId: 'a\uD83D',
          subscriberState: 'attend',
          inputs: [],
        }),
      ).message,
    ).toBe('externalAccountId contains a lone surrogate, which has no UTF-8 form: the request was not sent')
    expect(sim.counters().requests).toBe(0)
    success(
      await client.createByExternalId({
        externalEventId: 'expo-🎉...',
        subscriberState: 'attend',
        inputs: [vid(1)],
      }),
    )
    expect(sim.events().map((e) => e.externalEventId)).toEqual(['expo-🎉...'])
  })

  it('refuses a body JSON cannot encode as a validation failure, not a retryable network one', async () => {
    const sim = await simulator(known)
    const client = clientFor(sim.url)
    const r = failure(
      await client.createByExternalId({
        externalEventId: 'expo-2026',
        subscriberState: 'register',
        inputs: [{ vid: 1, interactionDateTime: BigInt(1) as unknown as number, properties: {} }],
      }),
    )
    expect(r).toMatchObject({ kind: 'validation', retryable: false })
    expect(r.message).toBe('the request could not be built (TypeError): it was not sent')
    expect(sim.counters().requests).toBe(0)
  })
})

describe('createHubSpotClient: connections and secrets', () => {
  // undici marks a connection busy until its 'drain', so a call issued right after the previous one may take
  // a second pooled socket; what matters is that sockets are reused, not opened per call.
  it('reuses keep-alive sockets: 60 sequential calls open at most two connections', async () => {
    const sim = await simulator(known)
    const client = clientFor(sim.url)
    for (let i = 0; i < 60; i++)
      success(
        await client.createByExternalId({
          externalEventId: 'expo-2026',
          subscriberState: 'register',
          inputs: [vid(51234, i)],
        }),
      )
    expect(sim.counters().connections).toBeLessThanOrEqual(2)
    expect(sim.counters().requests).toBe(60)
  })

  it('with connections: 1, 60 sequential calls (half of them errors, whose bodies must be consumed) use one socket', async () => {
    const sim = await simulator(known)
    const client = clientFor(sim.url, { connections: 1 })
    for (let i = 0; i < 30; i++) {
      success(
        await client.createByExternalId({
          externalEventId: 'expo-2026',
          subscriberState: 'register',
          inputs: [vid(51234, i)],
        }),
      )
      failure(
        await client.createByExternalId({ externalEventId: 'nope', subscriberState: 'register', inputs: [] }),
      )
    }
    expect(sim.counters().connections).toBe(1)
    expect(sim.counters().byStatus).toEqual({ '200': 30, '404': 30 })
  })

  it('never shows the token: inspect, JSON, enumerable keys, results of every kind', async () => {
    const sim = await simulator({ ...known, faults: { script: [{ status: 503 }, 'reset'] } })
    const client = clientFor(sim.url)
    expect(inspect(client, { depth: 10, showHidden: true })).not.toContain(TOKEN)
    expect(inspect(client)).toBe(`HubSpotClient { baseUrl: '${sim.url}/', apiVersion: '2026-09' }`)
    expect(JSON.stringify(client)).not.toContain(TOKEN)
    expect(JSON.stringify(Object.entries(client))).not.toContain('SECRET')
    const outcomes = [
      await client.createByExternalId({
        externalEventId: 'expo-2026',
        subscriberState: 'register',
        inputs: [],
      }),
      await client.createByExternalId({
        externalEventId: 'expo-2026',
        subscriberState: 'register',
        inputs: [],
      }),
      await client.createByExternalId({ externalEventId: 'nope', subscriberState: 'register', inputs: [] }),
      await createHubSpotClient({ baseUrl: sim.url, token: `${TOKEN}x` }).createByObjectId({
        objectId: '1',
        subscriberState: 'attend',
        inputs: [],
      }),
    ]
    expect(outcomes.map((o) => (o._tag === 'failure' ? o.kind : o._tag))).toEqual([
      'server',
      'network',
      'notFound',
      'unauthenticated',
    ])
    for (const o of outcomes) {
      expect(JSON.stringify(o)).not.toContain('SECRET')
      expect(inspect(o, { depth: 10 })).not.toContain('SECRET')
    }
  })
})

describe('createHubSpotClient: configuration', () => {
  it('refuses unusable options with INVALID_CONFIG, naming the option but never the token', () => {
    const attempt = (o: Partial<HubSpotClientOptions>) => {
      try {
        createHubSpotClient({ token: TOKEN, ...o })
      } catch (e) {
        return e
      }
      return undefined
    }
    expect(attempt({ token: ' ' })).toMatchObject({
      code: 'INVALID_CONFIG',
      message: 'HubSpot client: token must be a non-empty string',
    })
    expect(attempt({ headersTimeoutMs: 0 })).toMatchObject({
      code: 'INVALID_CONFIG',
      message: 'HubSpot client: headersTimeoutMs must be a positive number',
    })
    const bad = attempt({ baseUrl: `not a url ${TOKEN}` })
    expect(bad).toMatchObject({
      code: 'INVALID_CONFIG',
      message: 'HubSpot client: baseUrl is not a valid URL',
    })
    expect(inspect(bad, { depth: 10 })).not.toContain('SECRET')
    const withCrlf = attempt({ token: `${TOKEN}\r\nX-Injected: 1` })
    expect(withCrlf).toMatchObject({
      code: 'INVALID_CONFIG',
      message: 'HubSpot client: token must be visible ASCII characters (no spaces, CR, LF or other controls)',
    })
    expect(attempt({ token: new Secret('a\nb') })).toMatchObject({ code: 'INVALID_CONFIG' })
    expect(attempt({ oauth: { clientId: 'c', clientSecret: 's', refreshToken: 'r' } })).toMatchObject({
      message: 'HubSpot client: exactly one of token and oauth must be given',
    })
    expect(attempt({ token: undefined })).toMatchObject({
      message: 'HubSpot client: exactly one of token and oauth must be given',
    })
    const credentials = attempt({ baseUrl: 'https://user:hunter2@api.hubapi.com' })
    expect(credentials).toMatchObject({
      code: 'INVALID_CONFIG',
      message: 'HubSpot client: baseUrl must not carry credentials (user:password@)',
    })
    expect(inspect(credentials, { depth: 10 })).not.toContain('hunter2')
    expect(attempt({ baseUrl: 'http://api.hubapi.com' })).toMatchObject({
      message: 'HubSpot client: baseUrl must be https: (http: only for a loopback host such as 127.0.0.1)',
    })
    expect(attempt({ baseUrl: 'http://localhost:1' })).toBeUndefined()
  })

  it('takes the token as a Secret, and its defaults from the one table', async () => {
    const sim = await simulator(known)
    const client = clientFor(sim.url, { token: new Secret(TOKEN) })
    success(
      await client.createByExternalId({
        externalEventId: 'expo-2026',
        subscriberState: 'register',
        inputs: [],
      }),
    )
    expect(client.apiVersion).toBe(CONFIG_DEFAULTS.hubspot.account.apiVersion)
    expect(client.tokenStats()).toEqual({ refreshes: 0, refreshFailures: 0, expiredAnswers: 0 })
  })
})
