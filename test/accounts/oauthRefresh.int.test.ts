import { afterEach, describe, expect, it } from 'vitest'
import { type AttendancePipeline, attendancePipeline } from '../../src/streams/attendancePipeline.js'
import {
  type HubSpotSimulator,
  type SimulatorRequestEntry,
  startHubSpotSimulator,
} from '../../src/testing/simulator/index.js'
import { auditTopicsUntilComplete, waitUntil } from '../support/pipelineHarness.js'
import {
  accountEvent,
  accountsPipelineConfig,
  createAccountTopics,
  produceSteadily,
} from './accountTraffic.js'

/**
 * OAuth over a pipeline run (issue 15): access tokens that live 5 s, traffic throughout, a real broker. Two
 * accounts, each on its own simulator (their own base URLs): `ahead` is told the truth about `expires_in` and
 * refreshes ahead of it; `early` is told its tokens live an hour, so it learns of each expiry from a 401
 * `EXPIRED_AUTHENTICATION` and must refresh once and resend. Both simulators rotate the refresh token on every
 * refresh and refuse the old one. `CHAOS=full` (npm run chaos) runs 60 s of traffic, CI 20 s.
 */
const TRAFFIC_MS = process.env.CHAOS === 'full' ? 60_000 : 20_000
const TOKEN_TTL_MS = 5_000
const MAX_IN_FLIGHT = 4

const app = (name: string) => ({
  clientId: `client-${name}`,
  clientSecret: `client-secret-${name}`,
  refreshToken: `refresh-token-${name}-0`,
})

/** Requests with `token` that arrived after the simulator's first 401 EXPIRED_AUTHENTICATION for it. */
const arrivalsAfterFirstExpiry = (log: readonly SimulatorRequestEntry[], token: string): number => {
  const first = log.findIndex((e) => e.token === token && e.category === 'EXPIRED_AUTHENTICATION')
  return first < 0 ? 0 : log.slice(first + 1).filter((e) => e.token === token).length
}

describe('OAuth access tokens expiring every 5 s during a pipeline run', () => {
  const sims: HubSpotSimulator[] = []
  let pipeline: AttendancePipeline | undefined

  afterEach(async () => {
    await pipeline?.stop({ timeoutMs: 5_000 })
    await Promise.all(sims.splice(0).map((s) => s.stop()))
    pipeline = undefined
  })

  it('refreshes ahead and after a 401, rotates the refresh token, and fails no record', async () => {
    const topics = await createAccountTopics(1, 3)
    const [topic] = topics.inputs as [string]
    const startSim = async (name: string, reportedExpiresInSeconds: number) => {
      const sim = await startHubSpotSimulator({
        events: 'auto',
        contacts: 'auto',
        tokens: [],
        oauth: {
          apps: [app(name)],
          accessTokenTtlMs: TOKEN_TTL_MS,
          reportedExpiresInSeconds,
          rotateRefreshTokens: true,
        },
      })
      sims.push(sim)
      return sim
    }
    const ahead = await startSim('ahead', TOKEN_TTL_MS / 1000)
    const early = await startSim('early', 3_600)
    const config = accountsPipelineConfig(topics, {
      defaultAccount: 'ahead',
      accounts: {
        ahead: { oauth: app('ahead'), baseUrl: ahead.url, maxInFlightRequests: MAX_IN_FLIGHT },
        early: { oauth: app('early'), baseUrl: early.url, maxInFlightRequests: MAX_IN_FLIGHT },
      },
    })
    pipeline = attendancePipeline(config)

    // Four scans every 100 ms, two per account: about 5 requests a second each, well inside the budget.
    let n = 0
    const traffic = produceSteadily(
      () =>
        ['ahead', 'early', 'ahead', 'early'].map((account) => {
          n++
          return [
            topic,
            {
              key: `scan-${n}`,
              eventId: accountEvent(account, n % 3),
              vid: 1_000 + (n % 500),
              at: Date.now(),
              account,
            },
          ] as const
        }),
      100,
    )
    await new Promise((resolve) => setTimeout(resolve, TRAFFIC_MS))
    const produced = await traffic.stop()
    const total = produced.get(topic)?.length ?? 0
    await waitUntil('every record has an outcome', () => {
      const m = pipeline?.metrics()
      return m !== undefined && m.results + m.errors >= total
    })
    await pipeline.stop()
    await pipeline.done

    const audit = await auditTopicsUntilComplete(topics)
    expect(audit.missing).toEqual([])
    expect([...audit.duplicated]).toEqual([])
    expect(audit.errors).toBe(0)
    expect(audit.results).toBe(total)

    for (const [name, sim] of [
      ['ahead', ahead],
      ['early', early],
    ] as const) {
      expect(sim.handlerCrashes()).toEqual([])
      const log = sim.requestLog()
      const oauth = sim.oauth()
      const accepted = log.filter((e) => e.status === '200')
      const spanMs = (accepted.at(-1)?.at ?? 0) - (accepted[0]?.at ?? 0)
      const tokens = [...new Set(log.map((e) => e.token as string))]
      const expired = log.filter((e) => e.category === 'EXPIRED_AUTHENTICATION')
      console.log(
        `oauth ${name}: ${total / 2} records, ${log.length} requests over ${spanMs} ms, ${oauth.refreshes} refreshes, ` +
          `${expired.length} answered 401 EXPIRED_AUTHENTICATION, ${oauth.refused} refreshes refused`,
      )
      // A token serves at most 5 s of requests, so requests spanning spanMs needed at least this many tokens.
      // `ahead` refreshes before expiry, so its tokens overlap; `early` refreshes only after a 401, and each of
      // those gaps (the 401 round trip and the refresh, served by no token) widens the span: allow 1 s for each.
      // (Seen: 4 tokens of `early` spanning 20,012 ms.)
      const servedPerToken = name === 'ahead' ? TOKEN_TTL_MS : TOKEN_TTL_MS + 1_000
      expect(oauth.refreshes).toBeGreaterThanOrEqual(Math.ceil(spanMs / servedPerToken))
      expect(oauth.refreshesByClient).toEqual({ [app(name).clientId]: oauth.refreshes })
      // Every request carried a token the endpoint issued, and nothing the simulator did not know.
      expect(tokens.filter((t) => !oauth.issuedAccessTokens.includes(t))).toEqual([])
      expect(log.filter((e) => e.category === 'INVALID_AUTHENTICATION')).toEqual([])
      // The refresh token rotates with every refresh and the old one is refused: more than one refresh and
      // none refused means each used the one issued before it.
      expect(oauth.refreshes).toBeGreaterThan(1)
      expect(oauth.refused).toBe(0)
      expect(oauth.currentRefreshTokens[app(name).clientId]).not.toBe(app(name).refreshToken)
      // Once HubSpot said a token expired, only requests already in flight with it may still arrive.
      for (const token of tokens) {
        expect(arrivalsAfterFirstExpiry(log, token)).toBeLessThanOrEqual(MAX_IN_FLIGHT - 1)
      }
    }
    // The account told the truth refreshes ahead; the other learns of each expiry from a 401, once per token.
    const earlyExpired = early.requestLog().filter((e) => e.category === 'EXPIRED_AUTHENTICATION')
    expect(earlyExpired.length).toBeGreaterThanOrEqual(early.oauth().refreshes - 1)
  })
})
