import { inspect } from 'node:util'
import { isRight } from 'fp-ts/lib/Either.js'
import { Pool } from 'undici'
import type { EventRef, SubscriberState } from '../../codecs/attendanceRecord.js'
import type {
  MarketingEventEmailSubscriber,
  MarketingEventSubscriber,
  SubscriberInput,
} from '../../codecs/hubspotRequests.js'
import { OAuthTokenResponse } from '../../codecs/hubspotResponses.js'
import { CONFIG_DEFAULTS } from '../../config/defaults.js'
import { baseUrlProblem } from '../../config/rules.js'
import { AttendanceStreamError } from '../../errors.js'
import { isHeaderSafeToken, Secret } from '../../secret.js'
import {
  type AccessTokenSource,
  createTokenSource,
  type OAuthCredentials,
  type TokenGrant,
  type TokenProvider,
  type TokenStats,
} from './accessToken.js'
import type { CallFailure, CallResult } from './callResult.js'
import { interpretResponse } from './interpretResponse.js'
import {
  type ApiVersion,
  isUpsertVariant,
  queryValueProblem,
  segmentProblem,
  type Variant,
  variantPath,
} from './paths.js'

export type { OAuthCredentials, TokenProvider, TokenStats } from './accessToken.js'
export type { ApiVersion } from './paths.js'

/** Settings of {@link createHubSpotClient}; docs/hubspot.md lists their defaults. */
export interface HubSpotClientOptions {
  /**
   * Default `https://api.hubapi.com`. A path part (e.g. a proxy prefix) is kept in front of every call. Must be
   * `https:` (`http:` only for a loopback host) and carry no credentials.
   */
  baseUrl?: string
  /**
   * A private-app or service-key token (a string or a `Secret`), or a function that returns a current access
   * token (called once, then again after a 401 `EXPIRED_AUTHENTICATION`). Exactly one of `token` and `oauth`.
   * Kept in a closure: never in messages, errors or inspect output.
   */
  token?: string | Secret | TokenProvider | undefined
  /**
   * An OAuth app's credentials: access tokens are fetched from `POST <baseUrl>/oauth/v1/token`, refreshed ahead
   * of `expires_in` and once after a 401 `EXPIRED_AUTHENTICATION` (the request is then resent); a rotated refresh
   * token is kept for the client's life.
   */
  oauth?: OAuthCredentials | undefined
  /**
   * Default `'2026-09'`: v1–v3 become unsupported in September 2027, and new integrations should target the
   * current date version (contract §5). `'v3'` and `'2026-03'` stay selectable.
   */
  apiVersion?: ApiVersion
  /** TCP+TLS connect timeout. Default 10 000 ms. */
  connectTimeoutMs?: number
  /** Time from sending the request to the complete response headers. Default 30 000 ms. */
  headersTimeoutMs?: number
  /** Longest gap between two body chunks. Default 30 000 ms. */
  bodyTimeoutMs?: number
  /** Keep-alive connections in the pool. Default 4. */
  connections?: number
  /** How long an idle socket stays open. Default 4 000 ms (below common server idle timeouts). */
  keepAliveTimeoutMs?: number
  userAgent?: string
  /** Clock for `Retry-After` dates and OAuth token expiry. Default `Date.now`. */
  now?: () => number
}

/** One attendance write described by what it is about; `recordAttendance` picks the variant. */
export interface AttendanceCall {
  event: EventRef
  subscriberState: SubscriberState
  contactKind: 'vid' | 'email'
  inputs: readonly SubscriberInput[]
  /** Default `'create'` (A–D). `'upsert'` selects E/F and needs `event.externalAccountId`. */
  mode?: 'create' | 'upsert'
}

/** Per call: `signal` aborts it (it then fails as `network`). */
export interface CallOptions {
  signal?: AbortSignal
}

/** A write to an event named by externalEventId (variants A and B). */
export interface ExternalEventCall<I> {
  externalEventId: string
  externalAccountId?: string
  subscriberState: SubscriberState
  inputs: readonly I[]
}

/** A write to an event named by HubSpot objectId (variants C and D). */
export interface ObjectEventCall<I> {
  objectId: string
  subscriberState: SubscriberState
  inputs: readonly I[]
}

/** An upsert (variants E and F): externalEventId with its required externalAccountId. */
export interface UpsertCall<I> {
  externalEventId: string
  externalAccountId: string
  subscriberState: SubscriberState
  inputs: readonly I[]
}

/** The typed HubSpot attendance client: one request per call, no retries, token kept out of sight. */
export interface HubSpotClient {
  /** Picks the variant from `event.kind`, `contactKind` and `mode`. */
  recordAttendance(call: AttendanceCall, opts?: CallOptions): Promise<CallResult>
  /** A: `/attendance/{externalEventId}/{state}/create`. */
  createByExternalId(
    call: ExternalEventCall<MarketingEventSubscriber>,
    opts?: CallOptions,
  ): Promise<CallResult>
  /** B: `/attendance/{externalEventId}/{state}/email-create`. */
  emailCreateByExternalId(
    call: ExternalEventCall<MarketingEventEmailSubscriber>,
    opts?: CallOptions,
  ): Promise<CallResult>
  /** C: `/{objectId}/attendance/{state}/create`. */
  createByObjectId(call: ObjectEventCall<MarketingEventSubscriber>, opts?: CallOptions): Promise<CallResult>
  /** D: `/{objectId}/attendance/{state}/email-create`. */
  emailCreateByObjectId(
    call: ObjectEventCall<MarketingEventEmailSubscriber>,
    opts?: CallOptions,
  ): Promise<CallResult>
  /** E: `/events/{externalEventId}/{state}/upsert`. */
  upsertByExternalId(call: UpsertCall<MarketingEventSubscriber>, opts?: CallOptions): Promise<CallResult>
  /** F: `/events/{externalEventId}/{state}/email-upsert`. */
  emailUpsertByExternalId(
    call: UpsertCall<MarketingEventEmailSubscriber>,
    opts?: CallOptions,
  ): Promise<CallResult>
  readonly baseUrl: string
  readonly apiVersion: ApiVersion
  /** Token refreshes and expired answers so far (all zero for a static token). */
  tokenStats(): TokenStats
  /** Closes the pool after in-flight calls finish; later calls fail with `network`, not retryable. */
  close(): Promise<void>
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])
const CLOSED_CODES = new Set(['UND_ERR_DESTROYED', 'UND_ERR_CLOSED'])

const errorCode = (e: unknown): string | undefined => {
  if (typeof e !== 'object' || e === null) return undefined
  const code = (e as { code?: unknown }).code
  if (typeof code === 'string') return code
  return errorCode((e as { cause?: unknown }).cause)
}

const isExpiredAnswer = (r: CallResult): boolean =>
  r._tag === 'failure' && r.httpStatus === 401 && r.category === 'EXPIRED_AUTHENTICATION'

const variantOf = (call: AttendanceCall): Variant => {
  const email = call.contactKind === 'email'
  if (call.mode === 'upsert') return email ? 'F' : 'E'
  if (call.event.kind === 'object') return email ? 'D' : 'C'
  return email ? 'B' : 'A'
}

const positive = (name: string, value: number | undefined): void => {
  if (value !== undefined && !(Number.isFinite(value) && value > 0))
    throw new AttendanceStreamError('INVALID_CONFIG', `HubSpot client: ${name} must be a positive number`, {
      context: { option: name },
    })
}

const invalidConfig = (option: string, message: string): AttendanceStreamError =>
  new AttendanceStreamError('INVALID_CONFIG', `HubSpot client: ${message}`, { context: { option } })

const checkCredentials = (options: HubSpotClientOptions): void => {
  const { token, oauth } = options
  if ((token === undefined) === (oauth === undefined))
    throw invalidConfig('token', 'exactly one of token and oauth must be given')
  if (oauth !== undefined) {
    for (const name of ['clientId', 'clientSecret', 'refreshToken'] as const) {
      const value = oauth[name]
      if (!(value instanceof Secret || typeof value === 'string') || Secret.of(value).reveal().trim() === '')
        throw invalidConfig(`oauth.${name}`, `oauth.${name} must be a non-empty string`)
    }
    return
  }
  if (typeof token === 'function') return
  const value = token instanceof Secret ? token.reveal() : token
  if (typeof value !== 'string' || value.trim() === '')
    throw invalidConfig('token', 'token must be a non-empty string')
  // A CR or LF would end the header: undici would refuse every request, each failing as a "network" error.
  if (!isHeaderSafeToken(value))
    throw invalidConfig(
      'token',
      'token must be visible ASCII characters (no spaces, CR, LF or other controls)',
    )
}

const DEFAULTS = CONFIG_DEFAULTS.hubspot

/** Throws `INVALID_CONFIG` (never mentioning a credential's value) for unusable options; calls never throw. */
export function createHubSpotClient(options: HubSpotClientOptions): HubSpotClient {
  checkCredentials(options)
  for (const name of [
    'connectTimeoutMs',
    'headersTimeoutMs',
    'bodyTimeoutMs',
    'connections',
    'keepAliveTimeoutMs',
  ] as const)
    positive(name, options[name])
  const base = options.baseUrl ?? DEFAULTS.account.baseUrl
  const badBase = typeof base === 'string' ? baseUrlProblem(base) : 'is not a string'
  if (badBase !== undefined) throw invalidConfig('baseUrl', `baseUrl ${badBase}`)
  const url = new URL(base)
  const basePath = url.pathname.replace(/\/+$/, '')
  const apiVersion = options.apiVersion ?? DEFAULTS.account.apiVersion
  const now = options.now ?? Date.now
  const userAgent = options.userAgent ?? 'attendance-stream'
  const pool = new Pool(url.origin, {
    connections: options.connections ?? 4,
    connect: { timeout: options.connectTimeoutMs ?? DEFAULTS.timeouts.connectMs },
    headersTimeout: options.headersTimeoutMs ?? DEFAULTS.timeouts.headersMs,
    bodyTimeout: options.bodyTimeoutMs ?? DEFAULTS.timeouts.bodyMs,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
  })
  let closed = false

  const tokenPath = `${basePath}/oauth/v1/token`
  const grantFailure = (kind: CallFailure['kind'], retryable: boolean, message: string): TokenGrant => ({
    _tag: 'refused',
    failure: { _tag: 'failure', kind, retryable, message, rateLimit: {}, details: [] },
  })
  // One refresh request. A 4xx means the credentials are wrong or revoked (a configuration fault, as a 401 is);
  // a 5xx or a network fault may pass, so the call that needed the token fails retryably.
  const requestGrant = async (form: string): Promise<TokenGrant> => {
    if (closed) return grantFailure('network', false, 'the HubSpot client is closed')
    try {
      const res = await pool.request({
        method: 'POST',
        path: tokenPath,
        headers: {
          'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
          accept: 'application/json',
          'user-agent': userAgent,
        },
        body: form,
      })
      const text = await res.body.text()
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = undefined
      }
      if (res.statusCode >= 200 && res.statusCode < 300) {
        const decoded = OAuthTokenResponse.decode(parsed)
        if (isRight(decoded) && isHeaderSafeToken(decoded.right.access_token) && decoded.right.expires_in > 0)
          return {
            _tag: 'granted',
            accessToken: decoded.right.access_token,
            refreshToken: decoded.right.refresh_token,
            expiresInMs: decoded.right.expires_in * 1000,
          }
        return grantFailure(
          'badResponse',
          true,
          `the OAuth token endpoint answered ${res.statusCode} without a usable token`,
        )
      }
      // HubSpot's OAuth errors say what is wrong in `status` (BAD_REFRESH_TOKEN, BAD_CLIENT_ID, …).
      const status =
        typeof parsed === 'object' &&
        parsed !== null &&
        typeof (parsed as { status?: unknown }).status === 'string'
          ? ` ${(parsed as { status: string }).status}`
          : ''
      const message = `the OAuth token endpoint refused the refresh: HTTP ${res.statusCode}${status}`
      return res.statusCode >= 500
        ? grantFailure('server', true, message)
        : grantFailure('unauthenticated', false, message)
    } catch (e) {
      const code = errorCode(e)
      return grantFailure(
        code !== undefined && TIMEOUT_CODES.has(code) ? 'timeout' : 'network',
        !closed,
        `the OAuth token request failed${code === undefined ? '' : ` (${code})`}`,
      )
    }
  }
  const tokens: AccessTokenSource = createTokenSource(options, requestGrant, now)

  // The credentials live only in the token source's closure and in the header object handed to undici.
  // Belt and braces: nothing HubSpot or undici says should contain one, but if it ever did, it stops here.
  const redact = (text: string): string => {
    let out = text
    for (const secret of tokens.secrets())
      if (secret.length > 0 && out.includes(secret)) out = out.split(secret).join('[REDACTED]')
    return out
  }
  const redactResult = <R extends CallResult>(r: R): R => {
    const json = JSON.stringify(r)
    const clean = redact(json)
    return clean === json ? r : (JSON.parse(clean) as R)
  }

  const transportFailure = (e: unknown, signal: AbortSignal | undefined): CallFailure => {
    const code = errorCode(e)
    const text = redact(e instanceof Error ? e.message : String(e))
    if (signal?.aborted === true)
      return {
        _tag: 'failure',
        kind: 'network',
        retryable: true,
        message: 'request aborted by the caller',
        rateLimit: {},
        details: [],
      }
    if (code !== undefined && TIMEOUT_CODES.has(code))
      return {
        _tag: 'failure',
        kind: 'timeout',
        retryable: true,
        message: `HubSpot request timed out (${code}): ${text}`,
        rateLimit: {},
        details: [],
      }
    if (closed || (code !== undefined && CLOSED_CODES.has(code)))
      return {
        _tag: 'failure',
        kind: 'network',
        retryable: false,
        message: 'the HubSpot client is closed',
        rateLimit: {},
        details: [],
      }
    return {
      _tag: 'failure',
      kind: 'network',
      retryable: true,
      message: `HubSpot request failed${code === undefined ? '' : ` (${code})`}: ${text}`,
      rateLimit: {},
      details: [],
    }
  }

  const refused = (message: string): CallFailure => ({
    _tag: 'failure',
    kind: 'validation',
    retryable: false,
    message,
    rateLimit: {},
    details: [],
  })

  const send = async (
    variant: Variant,
    eventId: string,
    subscriberState: SubscriberState,
    externalAccountId: string | undefined,
    inputs: readonly SubscriberInput[],
    opts: CallOptions | undefined,
  ): Promise<CallResult> => {
    if (isUpsertVariant(variant) && (externalAccountId === undefined || externalAccountId === ''))
      return refused(`variant ${variant} (upsert) needs externalAccountId`)
    // Refused unsent: no encoding makes these safe (see segmentProblem). The values are user data, not secrets.
    const idName = variant === 'C' || variant === 'D' ? 'objectId' : 'externalEventId'
    const badSegment = typeof eventId === 'string' ? segmentProblem(eventId) : 'is not a string'
    if (badSegment !== undefined) return refused(`${idName} ${badSegment}: the request was not sent`)
    const badState = typeof subscriberState === 'string' ? segmentProblem(subscriberState) : 'is not a string'
    if (badState !== undefined) return refused(`subscriberState ${badState}: the request was not sent`)
    const badAccount = externalAccountId === undefined ? undefined : queryValueProblem(externalAccountId)
    if (badAccount !== undefined) return refused(`externalAccountId ${badAccount}: the request was not sent`)
    if (closed) return transportFailure(new Error('closed'), undefined)
    // Inside a try: whatever building the path or the body throws becomes a validation result, never an
    // exception (and not a retryable network failure: the same request would fail the same way).
    let path: string
    let body: string
    try {
      const target = {
        variant,
        eventId,
        subscriberState,
        ...(externalAccountId === undefined ? {} : { externalAccountId }),
      }
      path = `${basePath}${variantPath(apiVersion, target)}`
      body = JSON.stringify({ inputs })
    } catch (e) {
      return refused(
        `the request could not be built (${e instanceof Error ? e.name : 'error'}): it was not sent`,
      )
    }
    const signal = opts?.signal
    const sendWith = async (token: string): Promise<CallResult> => {
      try {
        const res = await pool.request({
          method: 'POST',
          path,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            accept: 'application/json',
            'user-agent': userAgent,
          },
          body,
          ...(signal === undefined ? {} : { signal }),
        })
        // The body is always read to its end (or destroyed by undici on error): an unread body pins the socket.
        const text = await res.body.text()
        return interpretResponse(
          { statusCode: res.statusCode, headers: res.headers, text },
          inputs,
          isUpsertVariant(variant),
          now(),
        )
      } catch (e) {
        return transportFailure(e, signal)
      }
    }
    const first = await tokens.current()
    if (first._tag === 'failure') return redactResult(first.failure)
    const result = await sendWith(first.value)
    if (!isExpiredAnswer(result)) return redactResult(result)
    // Once: the token that expired is never sent again; a fresh one (shared with concurrent callers) is fetched
    // and the request resent. A source that cannot refresh (a static token) leaves the 401 as the answer.
    const next = await tokens.expired(first.value)
    if (next._tag === 'failure') return redactResult(next.failure.retryable ? next.failure : result)
    return redactResult(await sendWith(next.value))
  }

  const client: HubSpotClient = {
    baseUrl: url.href,
    apiVersion,
    tokenStats: () => tokens.stats(),
    recordAttendance: (call, opts) => {
      const variant = variantOf(call)
      const ev = call.event
      return ev.kind === 'object'
        ? variant === 'E' || variant === 'F'
          ? Promise.resolve<CallResult>({
              _tag: 'failure',
              kind: 'validation',
              retryable: false,
              message: 'upsert needs an external event id, not an objectId',
              rateLimit: {},
              details: [],
            })
          : send(variant, ev.objectId, call.subscriberState, undefined, call.inputs, opts)
        : send(variant, ev.externalEventId, call.subscriberState, ev.externalAccountId, call.inputs, opts)
    },
    createByExternalId: (c, o) =>
      send('A', c.externalEventId, c.subscriberState, c.externalAccountId, c.inputs, o),
    emailCreateByExternalId: (c, o) =>
      send('B', c.externalEventId, c.subscriberState, c.externalAccountId, c.inputs, o),
    createByObjectId: (c, o) => send('C', c.objectId, c.subscriberState, undefined, c.inputs, o),
    emailCreateByObjectId: (c, o) => send('D', c.objectId, c.subscriberState, undefined, c.inputs, o),
    upsertByExternalId: (c, o) =>
      send('E', c.externalEventId, c.subscriberState, c.externalAccountId, c.inputs, o),
    emailUpsertByExternalId: (c, o) =>
      send('F', c.externalEventId, c.subscriberState, c.externalAccountId, c.inputs, o),
    close: async () => {
      if (closed) return
      closed = true
      await pool.close()
    },
  }
  Object.defineProperty(client, inspect.custom, {
    enumerable: false,
    value: () => `HubSpotClient { baseUrl: '${url.href}', apiVersion: '${apiVersion}' }`,
  })
  Object.defineProperty(client, 'toJSON', {
    enumerable: false,
    value: () => ({ baseUrl: url.href, apiVersion }),
  })
  return client
}
