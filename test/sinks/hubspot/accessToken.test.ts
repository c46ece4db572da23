import { inspect } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { Secret } from '../../../src/secret.js'
import type { CallResult } from '../../../src/sinks/hubspot/callResult.js'
import { createHubSpotClient, type HubSpotClient } from '../../../src/sinks/hubspot/client.js'
import {
  type HubSpotSimulator,
  type HubSpotSimulatorOptions,
  startHubSpotSimulator,
} from '../../../src/testing/index.js'

// Real HTTP to the simulator; time is a shared virtual clock the test advances, so a 60-second run with tokens
// that expire every 5 seconds takes well under a second and does not depend on how fast the machine is.

const APP = {
  clientId: 'client-id-SECRET-1',
  clientSecret: 'client-secret-SECRET-2',
  refreshToken: 'rt-SECRET-3',
}
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

interface Run {
  readonly sim: HubSpotSimulator
  readonly client: HubSpotClient
  /** Per round: the simulator's count of 401 EXPIRED answers per token, after the round. */
  readonly expiredByRound: Map<string, number>[]
  readonly results: CallResult[]
}

const CONCURRENT_CALLS = 4
const STEP_MS = 250
const RUN_MS = 60_000

/** Rounds of `CONCURRENT_CALLS` concurrent calls, the clock moving `STEP_MS` between rounds, for `RUN_MS`. */
const runWithTraffic = async (oauth: Partial<HubSpotSimulatorOptions['oauth']>): Promise<Run> => {
  let clock = 1_000_000
  const sim = await startHubSpotSimulator({
    now: () => clock,
    events: 'auto',
    contacts: 'auto',
    tokens: [],
    oauth: {
      apps: [APP],
      accessTokenTtlMs: 5000,
      rotateRefreshTokens: true,
      max: 1_000_000,
      ...oauth,
    },
  })
  cleanups.push(() => sim.stop())
  const client = createHubSpotClient({
    baseUrl: sim.url,
    oauth: { ...APP, clientSecret: new Secret(APP.clientSecret) },
    connections: CONCURRENT_CALLS,
    now: () => clock,
  })
  cleanups.push(() => client.close())
  const expiredByRound: Map<string, number>[] = []
  const results: CallResult[] = []
  for (let at = 0; at < RUN_MS; at += STEP_MS) {
    const round = await Promise.all(
      Array.from({ length: CONCURRENT_CALLS }, (_, i) =>
        client.createByExternalId({
          externalEventId: 'expo-2026',
          subscriberState: 'attend',
          inputs: [{ vid: i + 1, interactionDateTime: at, properties: {} }],
        }),
      ),
    )
    results.push(...round)
    const tokens = sim.counters().tokens
    expiredByRound.push(new Map(Object.entries(tokens).map(([token, c]) => [token, c.expired])))
    clock += STEP_MS
  }
  expect(sim.handlerCrashes()).toEqual([])
  return { sim, client, expiredByRound, results }
}

const failures = (results: readonly CallResult[]) => results.filter((r) => r._tag === 'failure')

describe('OAuth access tokens (contract §5), against the simulator', () => {
  it('refreshes ahead of expires_in: 60 s of traffic, tokens living 5 s → 0 failed calls, no 401, rotation kept', async () => {
    const { sim, client, results } = await runWithTraffic({})
    expect(results).toHaveLength((RUN_MS / STEP_MS) * CONCURRENT_CALLS)
    expect(failures(results)).toEqual([])
    const stats = client.tokenStats()
    const oauth = sim.oauth()
    // A token is used for 4.5 of its 5 seconds (a tenth of its life is the margin): 60 / 4.5 → 14 refreshes.
    expect(stats).toEqual({ refreshes: 14, refreshFailures: 0, expiredAnswers: 0 })
    expect(oauth.refreshes).toBe(14)
    expect(oauth.refused).toBe(0)
    // Every refresh after the first used the refresh token the previous one handed out (the old one is refused).
    expect(oauth.currentRefreshTokens[APP.clientId]).not.toBe(APP.refreshToken)
    const tokens = sim.counters().tokens
    expect(Object.values(tokens).reduce((n, t) => n + t.expired, 0)).toBe(0)
    expect(Object.keys(tokens).sort()).toEqual([...oauth.issuedAccessTokens].sort())
  })

  it('a token expired early: one 401 round per token, each call resent once, one shared refresh, 0 failed calls', async () => {
    // The endpoint says 30 minutes, the token lives 5 s: only a 401 tells the client.
    const { sim, client, results, expiredByRound } = await runWithTraffic({ reportedExpiresInSeconds: 1800 })
    expect(failures(results)).toEqual([])
    const stats = client.tokenStats()
    const oauth = sim.oauth()
    // Tokens issued at 0, 5, 10, … 55 s (12), each replaced after its first 401s.
    expect(stats).toEqual({ refreshes: 12, refreshFailures: 0, expiredAnswers: 11 })
    expect(oauth.refreshes).toBe(stats.refreshes)
    // No request is sent with a token after the round in which the client learnt it had expired: each token's
    // 401s all come in one round (the calls already in flight with it), at most one per concurrent call.
    for (const token of oauth.issuedAccessTokens) {
      const counts = expiredByRound.map((round) => round.get(token) ?? 0)
      const roundsWith401 = counts.filter((n, i) => n > (counts[i - 1] ?? 0)).length
      expect(roundsWith401, token).toBeLessThanOrEqual(1)
      expect(counts.at(-1), token).toBeLessThanOrEqual(CONCURRENT_CALLS)
    }
    const total401 = Object.values(sim.counters().tokens).reduce((n, t) => n + t.expired, 0)
    expect(total401).toBe(11 * CONCURRENT_CALLS)
    expect(sim.counters().byRoute).toEqual({
      oauth: { '200': 12 },
      '2026-09:A': { '200': results.length, '401': 11 * CONCURRENT_CALLS },
    })
  })

  it('a revoked refresh token ends the call unsent as unauthenticated, and no secret shows', async () => {
    let clock = 0
    const sim = await startHubSpotSimulator({
      now: () => clock,
      events: 'auto',
      tokens: [],
      oauth: { apps: [{ ...APP, refreshToken: 'another' }] },
    })
    cleanups.push(() => sim.stop())
    const client = createHubSpotClient({ baseUrl: sim.url, oauth: APP, now: () => clock })
    cleanups.push(() => client.close())
    const r = await client.createByExternalId({ externalEventId: 'e', subscriberState: 'attend', inputs: [] })
    expect(r).toEqual({
      _tag: 'failure',
      kind: 'unauthenticated',
      retryable: false,
      message: 'the OAuth token endpoint refused the refresh: HTTP 400 BAD_REFRESH_TOKEN',
      rateLimit: {},
      details: [],
    })
    expect(sim.counters().byRoute).toEqual({ oauth: { '400': 1 } })
    expect(client.tokenStats()).toEqual({ refreshes: 0, refreshFailures: 1, expiredAnswers: 0 })
    const shown = [
      inspect(client, { showHidden: true, depth: 10 }),
      JSON.stringify(client),
      JSON.stringify(r),
    ]
    for (const text of shown) expect(text).not.toContain('SECRET')
    clock += 1
  })
})

describe('a token provider function', () => {
  it('is called once, shared by concurrent calls, and called again (once) after a 401 EXPIRED', async () => {
    const sim = await startHubSpotSimulator({
      events: 'auto',
      contacts: 'auto',
      tokens: [{ token: 'from-vault-1', expired: true }, 'from-vault-2'],
    })
    cleanups.push(() => sim.stop())
    let calls = 0
    const client = createHubSpotClient({
      baseUrl: sim.url,
      token: async () => {
        calls++
        return calls === 1 ? 'from-vault-1' : new Secret('from-vault-2')
      },
    })
    cleanups.push(() => client.close())
    const call = () =>
      client.createByExternalId({ externalEventId: 'e', subscriberState: 'attend', inputs: [] })
    const first = await Promise.all([call(), call(), call(), call()])
    expect(first.map((r) => r._tag)).toEqual(['success', 'success', 'success', 'success'])
    expect(calls).toBe(2)
    expect((await call())._tag).toBe('success')
    expect(calls).toBe(2)
    expect(client.tokenStats()).toEqual({ refreshes: 2, refreshFailures: 0, expiredAnswers: 1 })
    const tokens = sim.counters().tokens
    expect(tokens['from-vault-1']?.expired).toBe(4)
    expect(tokens['from-vault-2']?.requests).toBe(5)
  })

  it('a provider that throws fails the call retryably, without its message (which may hold a secret)', async () => {
    const sim = await startHubSpotSimulator({ events: 'auto' })
    cleanups.push(() => sim.stop())
    const client = createHubSpotClient({
      baseUrl: sim.url,
      token: () => Promise.reject(new TypeError('vault said: pat-SECRET')),
    })
    cleanups.push(() => client.close())
    const r = await client.createByExternalId({ externalEventId: 'e', subscriberState: 'attend', inputs: [] })
    expect(r).toMatchObject({
      _tag: 'failure',
      kind: 'network',
      retryable: true,
      message: 'the token provider failed (TypeError)',
    })
    expect(sim.counters().requests).toBe(0)
  })

  it('a static token that expired stays a 401: nothing to refresh it with', async () => {
    const sim = await startHubSpotSimulator({ events: 'auto', tokens: [{ token: 'static', expired: true }] })
    cleanups.push(() => sim.stop())
    const client = createHubSpotClient({ baseUrl: sim.url, token: 'static' })
    cleanups.push(() => client.close())
    const r = await client.createByExternalId({ externalEventId: 'e', subscriberState: 'attend', inputs: [] })
    expect(r).toMatchObject({ kind: 'unauthenticated', httpStatus: 401, category: 'EXPIRED_AUTHENTICATION' })
    expect(sim.counters().requests).toBe(1)
  })
})
