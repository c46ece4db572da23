import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CounterBook, type SimulatorCounters } from './counters.js'
import { FaultInjector, type FaultPlan } from './faults.js'
import { type RateLimitSettings, TokenRateLimiter, windowCounts } from './rateLimiter.js'
import { type MatchedRoute, matchRoute, routeKey } from './routes.js'
import {
  type Participation,
  type SimulatorContact,
  type SimulatorEvent,
  type SimulatorEventSpec,
  SimulatorStore,
} from './store.js'
import { type ValidationProblem, type ValidInput, validateRequest } from './validateBody.js'

/** The scope every attendance write needs (contract §5). */
export const WRITE_SCOPE = 'crm.objects.marketing_events.write'

/** A token the simulator accepts, with its scopes, expiry and limits. */
export interface SimulatorTokenSpec {
  readonly token: string
  /** Default: `[WRITE_SCOPE]`. */
  readonly scopes?: readonly string[]
  readonly expired?: boolean
  /** Simulator clock time from which the token is expired (OAuth tokens live about 30 minutes). */
  readonly expiresAt?: number
  /** This token's rolling-window maximum; default `rateLimit.max`. */
  readonly max?: number
  /** This token's daily limit; `null` for none (OAuth apps); default `rateLimit.daily`. */
  readonly daily?: number | null
  /**
   * Tokens with the same `account` share one rate limit, as HubSpot counts per account (an OAuth app's
   * successive access tokens). Default: the token itself.
   */
  readonly account?: string
}

/** An OAuth app installed on the simulated account: what `POST /oauth/v1/token` accepts. */
export interface SimulatorOAuthApp {
  readonly clientId: string
  readonly clientSecret: string
  /** The refresh token the app starts with. */
  readonly refreshToken: string
}

/** The OAuth token endpoint (contract §5) and the access tokens it issues. */
export interface SimulatorOAuthOptions {
  readonly apps: readonly SimulatorOAuthApp[]
  /** How long an issued access token is accepted, on the simulator clock. Default 1 800 000 (30 minutes). */
  readonly accessTokenTtlMs?: number
  /**
   * The `expires_in` (seconds) the endpoint reports. Default the true lifetime. Larger values imitate a token
   * HubSpot expires or revokes early, so a client meets 401 `EXPIRED_AUTHENTICATION` despite refreshing ahead.
   */
  readonly reportedExpiresInSeconds?: number
  /** Issue a new refresh token with every refresh and refuse the old one from then on. Default false. */
  readonly rotateRefreshTokens?: boolean
  /** Scopes of issued tokens. Default `[WRITE_SCOPE]`. */
  readonly scopes?: readonly string[]
  /** Rolling-window maximum of the app's tokens, shared by all of them. Default `rateLimit.max`. */
  readonly max?: number
}

/** HubSpot's limits as the simulator enforces them. */
export interface SimulatorRateLimitOptions {
  /** Requests per window. Default 100 (private app, Free/Starter). */
  readonly max?: number
  /** Default 10 000. */
  readonly intervalMs?: number
  /** Default 250 000; `null` for no daily limit. */
  readonly daily?: number | null
  /** Send `Retry-After` (whole seconds, rounded up) on 429s. Default false: HubSpot does not confirm it. */
  readonly retryAfter?: boolean
  /** Count requests answered 429 against the window. Default false (see rateLimiter.ts). */
  readonly count429?: boolean
  /** Account time zone for the daily reset, minutes east of UTC. Default 0. */
  readonly utcOffsetMinutes?: number
}

/** A known contact: a vid, or a vid with an email and properties. */
export type SimulatorContactSpec =
  | number
  | { readonly vid: number; readonly email?: string; readonly properties?: Record<string, string> }

/** How bad inputs are answered: errors inside a 200 (`per-input`) or a 400 for the request (`whole-request`). */
export type PartialFailureMode = 'per-input' | 'whole-request'

/** Settings of {@link startHubSpotSimulator}; docs/hubspot.md describes the simulator in full. */
export interface HubSpotSimulatorOptions {
  /** Port on 127.0.0.1; default 0, any free port (a fixed one lets a test stop the simulator and start it again at the same URL). */
  readonly port?: number
  /** Accepted bearer tokens. Default `['test-token']` with the write scope. */
  readonly tokens?: readonly (string | SimulatorTokenSpec)[]
  /** Known events, or `'auto'` to create any event on first use. Default none. */
  readonly events?: 'auto' | readonly SimulatorEventSpec[]
  /** Known contacts, or `'auto'` to accept any vid. Default none (email variants create contacts anyway). */
  readonly contacts?: 'auto' | readonly SimulatorContactSpec[]
  /** How an unknown vid or a bad email is answered. Default `'per-input'`. */
  readonly partialFailureMode?: PartialFailureMode
  /** Default 100. */
  readonly maxBatchSize?: number
  readonly rateLimit?: SimulatorRateLimitOptions
  readonly faults?: FaultPlan
  /** Seed of the fault PRNG. Default 1. */
  readonly seed?: number
  /** Clock for rate limits, token expiry and timestamps. Default `Date.now`. */
  readonly now?: () => number
  /** `status` of A–D success bodies. Default `'COMPLETE'`. */
  readonly batchStatus?: 'COMPLETE' | 'PENDING' | 'PROCESSING' | 'CANCELED'
  /**
   * Whether the email upsert (F) creates a contact it does not know. Default false: HubSpot's docs say the
   * contact must exist for the upserts (E, F); only the email-create variants (B, D) create contacts.
   */
  readonly upsertCreatesContacts?: boolean
  /**
   * Called with every error thrown inside the simulator's request handler (a simulator bug, or a throwing
   * injected `now`). Such a request is answered 500 `SIMULATOR_CRASH` and counted in `handlerCrashes()`.
   */
  readonly onHandlerCrash?: (error: unknown) => void
  /** Serve `POST /oauth/v1/token` for these apps. Default: no OAuth (the endpoint answers 404). */
  readonly oauth?: SimulatorOAuthOptions
}

/**
 * One request to the attendance API as the simulator saw it, in arrival order: enough to check every rolling
 * window of an account, and that each account's requests carry only its own token.
 */
export interface SimulatorRequestEntry {
  /** Arrival time on the simulator clock. */
  readonly at: number
  /** The bearer token sent, or undefined when there was none. */
  readonly token: string | undefined
  /**
   * Whose rate limit the token counts against: the token spec's `account`, `oauth:<clientId>` for issued OAuth
   * tokens, else the token itself; undefined for a token the simulator does not know (or no longer knows).
   */
  readonly account: string | undefined
  /** `'2026-09:A'` … or `'unmatched'`, as in `counters().byRoute`. */
  readonly route: string
  /** The externalEventId (A, B, E, F) or objectId (C, D) of the path; undefined for an unmatched path. */
  readonly eventId: string | undefined
  /** Inputs in the body when it was valid; 0 otherwise. */
  readonly inputs: number
  /** The answer: `'200'`, `'401'`, `'429'`, …, `'reset'` or `'hang'`; `'pending'` until it is given. */
  readonly status: string
  /** The 401's `category` when the answer was a 401. */
  readonly category?: 'INVALID_AUTHENTICATION' | 'EXPIRED_AUTHENTICATION'
}

/** A running simulator: its URL and token, its state, its counters, and knobs to change while it runs. */
export interface HubSpotSimulator {
  /** `http://127.0.0.1:<port>`: pass as the client's `baseUrl`. */
  readonly url: string
  /** The first configured token. */
  readonly token: string
  /** Replaces the fault plan from the next request on. */
  setFaults(plan: FaultPlan): void
  /** Changes how bad inputs are answered from the next request on. */
  setPartialFailureMode(mode: PartialFailureMode): void
  /** Creates a marketing event; its objectId is assigned unless given. */
  addEvent(spec: SimulatorEventSpec): SimulatorEvent
  /** Adds a known contact. */
  addContact(contact: SimulatorContactSpec): SimulatorContact
  /** Accepts another token from now on. */
  addToken(token: string | SimulatorTokenSpec): void
  /**
   * Forgets a token, as HubSpot does with a revoked one: from the next request on it is answered 401
   * `INVALID_AUTHENTICATION`. Its account's window stays, for the account's other tokens.
   */
  revokeToken(token: string): void
  /** Every event, created or known. */
  events(): SimulatorEvent[]
  /** Every contact, known or created by an email variant. */
  contacts(): SimulatorContact[]
  /** The participation store: one entry per (event, contact), with its history. */
  participations(): Participation[]
  /** What the simulator counted so far. */
  counters(): SimulatorCounters
  /**
   * Errors thrown inside the request handler, oldest first. A test should expect none: a crash is answered
   * 500, which a client retries like an injected fault, so without this check a simulator bug could pass.
   */
  handlerCrashes(): readonly unknown[]
  /**
   * What the OAuth endpoint did: refreshes granted and refused, and every refresh token it issued, oldest first
   * (the apps' initial ones included), with the one each app holds now.
   */
  oauth(): {
    readonly refreshes: number
    /** Refreshes granted per app, by client id. */
    readonly refreshesByClient: Readonly<Record<string, number>>
    readonly refused: number
    readonly issuedAccessTokens: readonly string[]
    readonly currentRefreshTokens: Readonly<Record<string, string>>
  }
  /** Every attendance API request so far (token-endpoint requests excluded), in arrival order. */
  requestLog(): readonly SimulatorRequestEntry[]
  /** For every request carrying `token`, how many such requests arrived in the window ending at it. */
  windowCounts(token: string, intervalMs?: number): number[]
  /** Closes the server and every open socket, hung requests included. */
  stop(): Promise<void>
}

type ErrorBodyOut = Record<string, unknown>

type LogEntry = {
  -readonly [K in keyof SimulatorRequestEntry]: SimulatorRequestEntry[K]
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/

interface BadInput {
  readonly index: number
  readonly key: 'vids' | 'emails'
  readonly value: string
  readonly message: string
  readonly code: string
}

/** Starts a HubSpot attendance API simulator on 127.0.0.1, on a free port. */
export async function startHubSpotSimulator(
  options: HubSpotSimulatorOptions = {},
): Promise<HubSpotSimulator> {
  const now = options.now ?? Date.now
  const rl = options.rateLimit ?? {}
  const intervalMs = rl.intervalMs ?? 10_000
  const maxBatchSize = options.maxBatchSize ?? 100
  const eventsAuto = options.events === 'auto'
  const contactsAuto = options.contacts === 'auto'
  const upsertCreatesContacts = options.upsertCreatesContacts ?? false
  const crashes: unknown[] = []
  let partialFailureMode: PartialFailureMode = options.partialFailureMode ?? 'per-input'
  const counters = new CounterBook(intervalMs)
  const faults = new FaultInjector(options.seed ?? 1)
  faults.set(options.faults ?? {})
  const store = new SimulatorStore()
  const tokens = new Map<string, SimulatorTokenSpec>()
  const limiters = new Map<string, TokenRateLimiter>()
  const requestLog: LogEntry[] = []
  // The log entry of the request a response answers, so every way of answering records its status.
  const entries = new WeakMap<ServerResponse, LogEntry>()

  const addToken = (t: string | SimulatorTokenSpec): void => {
    const spec = typeof t === 'string' ? { token: t } : t
    tokens.set(spec.token, spec)
    const limiterKey = spec.account ?? spec.token
    if (limiters.has(limiterKey) && spec.account !== undefined) return
    const settings: RateLimitSettings = {
      max: spec.max ?? rl.max ?? 100,
      intervalMs,
      daily: spec.daily !== undefined ? spec.daily : rl.daily !== undefined ? rl.daily : 250_000,
      count429: rl.count429 ?? false,
      utcOffsetMinutes: rl.utcOffsetMinutes ?? 0,
    }
    limiters.set(limiterKey, new TokenRateLimiter(settings))
  }
  for (const t of options.tokens ?? ['test-token']) addToken(t)
  if (options.events !== undefined && options.events !== 'auto')
    for (const e of options.events) store.addEvent(e)
  const addContact = (c: SimulatorContactSpec): SimulatorContact =>
    store.addContact(typeof c === 'number' ? { vid: c } : c)
  if (options.contacts !== undefined && options.contacts !== 'auto')
    for (const c of options.contacts) addContact(c)

  const timers = new Set<NodeJS.Timeout>()
  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer)
        resolve()
      }, ms)
      timers.add(timer)
    })

  const reply = (
    res: ServerResponse,
    route: string,
    status: number,
    body: unknown,
    headers: Record<string, string>,
  ): void => {
    counters.outcome(route, String(status))
    const entry = entries.get(res)
    if (entry !== undefined) entry.status = String(status)
    if (res.destroyed) return
    const correlationId =
      typeof body === 'object' && body !== null && typeof (body as ErrorBodyOut).correlationId === 'string'
        ? ((body as ErrorBodyOut).correlationId as string)
        : randomUUID()
    res.statusCode = status
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v)
    res.setHeader('x-hubspot-correlation-id', correlationId)
    if (body === undefined) {
      res.end()
      return
    }
    res.setHeader('content-type', 'application/json;charset=utf-8')
    res.end(JSON.stringify(body))
  }

  const errorBody = (message: string, category: string, extra: ErrorBodyOut = {}): ErrorBodyOut => ({
    status: 'error',
    message,
    correlationId: randomUUID(),
    category,
    ...extra,
  })

  const problemsBody = (problems: readonly ValidationProblem[]): ErrorBodyOut => {
    const first = problems[0]?.message ?? 'Invalid input'
    const more =
      problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : ''
    return errorBody(`Invalid input: ${first}${more}`, 'VALIDATION_ERROR', {
      errors: problems.map((p) => ({ message: p.message, code: p.code, in: p.in })),
      links: {},
    })
  }

  const findEvent = (route: MatchedRoute, account: string | undefined): SimulatorEvent | ErrorBodyOut => {
    if (route.variant === 'C' || route.variant === 'D') {
      const e = store.byObjectId(route.eventId)
      if (e !== undefined) return e
      if (eventsAuto) return store.addEvent({ objectId: route.eventId })
      return errorBody(`Marketing event with objectId ${route.eventId} not found`, 'OBJECT_NOT_FOUND')
    }
    const found = store.byExternalId(route.eventId, account)
    if ('found' in found) return found.found
    if ('ambiguous' in found)
      return errorBody(
        `Several marketing events have externalEventId ${route.eventId}: pass externalAccountId`,
        'VALIDATION_ERROR',
        {
          errors: [
            {
              message: 'externalAccountId is required to pick the event',
              code: 'REQUIRED',
              in: 'externalAccountId',
            },
          ],
        },
      )
    if (eventsAuto)
      return store.addEvent({
        externalEventId: route.eventId,
        ...(account === undefined ? {} : { externalAccountId: account }),
      })
    return errorBody(
      `Marketing event with externalEventId ${route.eventId}${account === undefined ? '' : ` and externalAccountId ${account}`} not found`,
      'OBJECT_NOT_FOUND',
    )
  }

  // The OAuth token endpoint. Not subject to injected faults: they model the attendance API's trouble.
  const oauth = options.oauth
  const oauthState = {
    refreshes: 0,
    byClient: new Map<string, number>(),
    refused: 0,
    issued: [] as string[],
    current: new Map((oauth?.apps ?? []).map((app) => [app.clientId, app.refreshToken])),
  }
  const answerTokenRequest = (res: ServerResponse, text: string): void => {
    const form = new URLSearchParams(text)
    const app = oauth?.apps.find((a) => a.clientId === form.get('client_id'))
    const refuse = (status: string, message: string): void => {
      oauthState.refused++
      reply(res, 'oauth', 400, { status, message, correlationId: randomUUID() }, {})
    }
    if (form.get('grant_type') !== 'refresh_token') {
      refuse('UNSUPPORTED_GRANT_TYPE', 'grant_type must be refresh_token')
      return
    }
    if (app === undefined || app.clientSecret !== form.get('client_secret')) {
      refuse('BAD_CLIENT_ID', 'missing or unknown client id, or a wrong client secret')
      return
    }
    if (oauthState.current.get(app.clientId) !== form.get('refresh_token')) {
      refuse('BAD_REFRESH_TOKEN', 'missing or unknown refresh token')
      return
    }
    oauthState.refreshes++
    oauthState.byClient.set(app.clientId, (oauthState.byClient.get(app.clientId) ?? 0) + 1)
    const n = oauthState.refreshes
    const ttl = oauth?.accessTokenTtlMs ?? 1_800_000
    const accessToken = `sim-oauth-at-${n}-${randomUUID()}`
    addToken({
      token: accessToken,
      expiresAt: now() + ttl,
      account: `oauth:${app.clientId}`,
      daily: null,
      ...(oauth?.scopes === undefined ? {} : { scopes: oauth.scopes }),
      ...(oauth?.max === undefined ? {} : { max: oauth.max }),
    })
    oauthState.issued.push(accessToken)
    if (oauth?.rotateRefreshTokens === true)
      oauthState.current.set(app.clientId, `sim-oauth-rt-${n}-${randomUUID()}`)
    reply(
      res,
      'oauth',
      200,
      {
        access_token: accessToken,
        refresh_token: oauthState.current.get(app.clientId),
        expires_in: oauth?.reportedExpiresInSeconds ?? ttl / 1000,
        token_type: 'bearer',
      },
      {},
    )
  }

  const handle = async (
    req: IncomingMessage,
    res: ServerResponse,
    text: string,
    arrival: number,
  ): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://simulator')
    if (req.method === 'POST' && url.pathname === '/oauth/v1/token' && options.oauth !== undefined) {
      answerTokenRequest(res, text)
      return
    }
    const route = req.method === 'POST' ? matchRoute(url.pathname) : undefined
    const rk = routeKey(route)
    const auth = req.headers.authorization
    const bearer = auth?.startsWith('Bearer ') === true ? auth.slice('Bearer '.length).trim() : undefined
    if (bearer !== undefined) {
      const tc = counters.token(bearer)
      tc.requests++
      tc.arrivals.push(arrival)
    }
    const spec = bearer === undefined ? undefined : tokens.get(bearer)
    const limiter = spec === undefined ? undefined : limiters.get(spec.account ?? spec.token)
    const entry: LogEntry = {
      at: arrival,
      token: bearer,
      account: spec === undefined ? undefined : (spec.account ?? spec.token),
      route: rk,
      eventId: route?.eventId,
      inputs: 0,
      status: 'pending',
    }
    requestLog.push(entry)
    entries.set(res, entry)

    const fault = faults.next()
    if (fault.kind === 'reset') {
      counters.faults.reset++
      counters.outcome(rk, 'reset')
      entry.status = 'reset'
      // An RST, not a FIN: the client sees ECONNRESET as it would from a crashing proxy.
      req.socket.resetAndDestroy()
      return
    }
    if (fault.kind === 'hang') {
      counters.faults.hang++
      counters.outcome(rk, 'hang')
      entry.status = 'hang'
      return
    }
    if (fault.delayMs > 0) await delay(fault.delayMs)
    if (fault.kind === 'status') {
      counters.faults.status++
      const headers = limiter?.peek(now()) ?? {}
      if (fault.retryAfterSeconds !== undefined) headers['Retry-After'] = String(fault.retryAfterSeconds)
      reply(
        res,
        rk,
        fault.status,
        errorBody(`Injected fault: HTTP ${fault.status}`, 'INTERNAL_ERROR'),
        headers,
      )
      return
    }

    if (spec === undefined || limiter === undefined) {
      entry.category = 'INVALID_AUTHENTICATION'
      reply(
        res,
        rk,
        401,
        errorBody(
          bearer === undefined
            ? 'Authentication credentials not found: send Authorization: Bearer <token>'
            : 'The access token is not valid',
          'INVALID_AUTHENTICATION',
        ),
        {},
      )
      return
    }
    const t = now()
    if (spec.expired === true || (spec.expiresAt !== undefined && t >= spec.expiresAt)) {
      counters.token(spec.token).expired++
      entry.category = 'EXPIRED_AUTHENTICATION'
      reply(
        res,
        rk,
        401,
        errorBody('The access token has expired', 'EXPIRED_AUTHENTICATION'),
        limiter.peek(t),
      )
      return
    }
    const decision = limiter.take(t)
    const tc = counters.token(spec.token)
    if (!decision.allowed) {
      counters.rateLimited.total++
      if (decision.policy === 'DAILY') counters.rateLimited.daily++
      else counters.rateLimited.tenSecondly++
      tc.rateLimited++
      const headers = { ...decision.headers }
      if (rl.retryAfter === true)
        headers['Retry-After'] = String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)))
      reply(
        res,
        rk,
        429,
        // As HubSpot's 429s: errorType and policyName, and no `category` (contract §5).
        {
          status: 'error',
          message: `You have reached your ${decision.policy === 'DAILY' ? 'daily' : 'ten_secondly_rolling'} limit.`,
          errorType: 'RATE_LIMIT',
          correlationId: randomUUID(),
          policyName: decision.policy,
          groupName: 'publicapi:marketing-events',
        },
        headers,
      )
      return
    }
    tc.counted++
    const headers = decision.headers
    const scopes = spec.scopes ?? [WRITE_SCOPE]
    if (!scopes.includes(WRITE_SCOPE)) {
      reply(
        res,
        rk,
        403,
        errorBody('This app has not been granted all required scopes to make this call.', 'MISSING_SCOPES', {
          errors: [
            {
              message: 'One or more of the following scopes are required.',
              context: { requiredScopes: [WRITE_SCOPE] },
            },
          ],
          links: { scopes: 'https://developers.hubspot.com/scopes' },
        }),
        headers,
      )
      return
    }
    if (route === undefined) {
      reply(res, rk, 404, errorBody(`No such endpoint: ${req.method} ${url.pathname}`, 'NOT_FOUND'), headers)
      return
    }

    const account = url.searchParams.get('externalAccountId') ?? undefined
    const emailVariant = route.variant === 'B' || route.variant === 'D' || route.variant === 'F'
    const upsert = route.variant === 'E' || route.variant === 'F'
    const valid = validateRequest(text, {
      emailVariant,
      subscriberState: route.subscriberState,
      maxBatchSize,
      upsert,
      externalAccountId: account,
    })
    if (!valid.ok) {
      reply(res, rk, 400, problemsBody(valid.problems), headers)
      return
    }
    entry.inputs = valid.inputs.length
    const found = findEvent(route, account)
    if (!('objectId' in found)) {
      reply(res, rk, found.category === 'VALIDATION_ERROR' ? 400 : 404, found, headers)
      return
    }
    const event = found as SimulatorEvent

    // Resolve contacts first and write nothing until we know whether the whole request stands.
    const bad: BadInput[] = []
    const good: { input: ValidInput; contact: SimulatorContact | undefined; index: number }[] = []
    valid.inputs.forEach((input, index) => {
      if (input.email !== undefined) {
        if (!EMAIL.test(input.email))
          bad.push({
            index,
            key: 'emails',
            value: input.email,
            message: `Invalid email address: ${input.email}`,
            code: 'INVALID_EMAIL',
          })
        else {
          const contact = store.contactByEmail(input.email, undefined)
          if (contact === undefined && upsert && !upsertCreatesContacts)
            bad.push({
              index,
              key: 'emails',
              value: input.email,
              message: `Contact with email ${input.email} does not exist`,
              code: 'CONTACT_NOT_FOUND',
            })
          else good.push({ input, contact, index })
        }
      } else if (input.vid !== undefined) {
        const c = store.contactByVid(input.vid)
        if (c === undefined && !contactsAuto)
          bad.push({
            index,
            key: 'vids',
            value: String(input.vid),
            message: `Contact with vid ${input.vid} does not exist`,
            code: 'CONTACT_NOT_FOUND',
          })
        else good.push({ input, contact: c, index })
      }
    })
    counters.inputsRejected += bad.length
    // Upserts have no response body to carry per-input errors in, so a bad input always fails the request.
    if (bad.length > 0 && (partialFailureMode === 'whole-request' || upsert)) {
      const vids = bad.filter((b) => b.key === 'vids').map((b) => b.value)
      const emails = bad.filter((b) => b.key === 'emails').map((b) => b.value)
      reply(
        res,
        rk,
        400,
        errorBody(`Invalid input: ${bad.map((b) => b.message).join('; ')}`, 'VALIDATION_ERROR', {
          context: { ...(vids.length > 0 ? { vids } : {}), ...(emails.length > 0 ? { emails } : {}) },
          errors: bad.map((b) => ({
            message: b.message,
            code: b.code,
            in: `inputs[${b.index}].${b.key === 'vids' ? 'vid' : 'email'}`,
            context: { [b.key]: [b.value] },
          })),
          links: {},
        }),
        headers,
      )
      return
    }
    const results: Record<string, unknown>[] = []
    for (const g of good) {
      const contact =
        g.contact ??
        (g.input.email !== undefined
          ? store.contactByEmail(g.input.email, g.input.contactProperties)
          : addContact(g.input.vid as number))
      if (contact === undefined) continue
      store.record(
        event.objectId,
        contact.vid,
        {
          state: route.subscriberState,
          interactionDateTime: g.input.interactionDateTime,
          properties: g.input.properties,
        },
        t,
      )
      counters.inputsAccepted++
      results.push(
        g.input.email === undefined ? { vid: contact.vid } : { vid: contact.vid, email: g.input.email },
      )
    }
    if (upsert) {
      reply(res, rk, 204, undefined, headers)
      return
    }
    const at = new Date(t).toISOString()
    reply(
      res,
      rk,
      200,
      {
        status: options.batchStatus ?? 'COMPLETE',
        results,
        ...(bad.length === 0
          ? {}
          : {
              numErrors: bad.length,
              errors: bad.map((b) => ({
                status: 'error',
                category: 'VALIDATION_ERROR',
                message: b.message,
                context: { [b.key]: [b.value] },
                errors: [{ message: b.message, code: b.code, in: b.key === 'vids' ? 'vid' : 'email' }],
                links: {},
                id: randomUUID(),
              })),
            }),
        requestedAt: new Date(arrival).toISOString(),
        startedAt: at,
        completedAt: at,
        links: {},
      },
      headers,
    )
  }

  // A crash is the simulator's fault, not HubSpot's: it is kept for `handlerCrashes()` and answered with a body
  // that says so, so a test that only watches outcomes still has a way to notice it.
  const crashed = (res: ServerResponse, error: unknown): void => {
    crashes.push(error)
    counters.handlerCrashes++
    options.onHandlerCrash?.(error)
    if (res.headersSent || res.destroyed) {
      res.destroy()
      return
    }
    res.statusCode = 500
    res.setHeader('content-type', 'application/json;charset=utf-8')
    res.end(
      JSON.stringify({
        status: 'error',
        category: 'SIMULATOR_CRASH',
        correlationId: randomUUID(),
        message: `The simulator's handler crashed: ${error instanceof Error ? error.message : String(error)}`,
      }),
    )
  }

  const server = createServer((req, res) => {
    counters.requests++
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('error', () => {})
    let arrival: number
    try {
      arrival = now()
    } catch (error) {
      crashed(res, error)
      return
    }
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8'), arrival).catch((error: unknown) =>
        crashed(res, error),
      )
    })
  })
  server.on('connection', () => {
    counters.connections++
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const firstToken = [...tokens.keys()][0] ?? ''
  let stopped: Promise<void> | undefined

  return {
    url: `http://127.0.0.1:${port}`,
    token: firstToken,
    setFaults: (plan) => faults.set(plan),
    setPartialFailureMode: (mode) => {
      partialFailureMode = mode
    },
    addEvent: (spec) => store.addEvent(spec),
    addContact,
    addToken,
    revokeToken: (token) => {
      tokens.delete(token)
    },
    events: () => store.listEvents(),
    contacts: () => store.listContacts(),
    participations: () => store.participations(),
    counters: () => counters.snapshot(),
    handlerCrashes: () => [...crashes],
    oauth: () => ({
      refreshes: oauthState.refreshes,
      refreshesByClient: Object.fromEntries(oauthState.byClient),
      refused: oauthState.refused,
      issuedAccessTokens: [...oauthState.issued],
      currentRefreshTokens: Object.fromEntries(oauthState.current),
    }),
    requestLog: () => requestLog.map((entry) => ({ ...entry })),
    windowCounts: (token, ms = intervalMs) =>
      windowCounts(counters.snapshot().tokens[token]?.arrivals ?? [], ms),
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer)
        timers.clear()
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return stopped
    },
  }
}
