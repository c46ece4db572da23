import { inspect } from 'node:util'
import { Pool } from 'undici'
import type { EventRef, SubscriberState } from '../../codecs/attendanceRecord.js'
import type {
  MarketingEventEmailSubscriber,
  MarketingEventSubscriber,
  SubscriberInput,
} from '../../codecs/hubspotRequests.js'
import { AttendanceStreamError } from '../../errors.js'
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

export type { ApiVersion } from './paths.js'

/** Settings of {@link createHubSpotClient}; docs/hubspot.md lists their defaults. */
export interface HubSpotClientOptions {
  /** Default `https://api.hubapi.com`. A path part (e.g. a proxy prefix) is kept in front of every call. */
  baseUrl?: string
  /** Private-app or OAuth access token. Kept in a closure: never in messages, errors or inspect output. */
  token: string
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
  /** Clock for `Retry-After` dates. Default `Date.now`. */
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

/** Throws `INVALID_CONFIG` (never mentioning the token's value) for unusable options; calls never throw. */
export function createHubSpotClient(options: HubSpotClientOptions): HubSpotClient {
  if (typeof options.token !== 'string' || options.token.trim() === '')
    throw new AttendanceStreamError('INVALID_CONFIG', 'HubSpot client: token must be a non-empty string', {
      context: { option: 'token' },
    })
  for (const name of [
    'connectTimeoutMs',
    'headersTimeoutMs',
    'bodyTimeoutMs',
    'connections',
    'keepAliveTimeoutMs',
  ] as const)
    positive(name, options[name])
  let parsedBase: URL
  try {
    parsedBase = new URL(options.baseUrl ?? 'https://api.hubapi.com')
  } catch {
    throw new AttendanceStreamError('INVALID_CONFIG', 'HubSpot client: baseUrl is not a valid URL', {
      context: { option: 'baseUrl' },
    })
  }
  // The token lives only in this closure and in the header object handed to undici per request.
  const token = options.token
  const authorization = `Bearer ${token}`
  const url = parsedBase
  const basePath = url.pathname.replace(/\/+$/, '')
  const apiVersion = options.apiVersion ?? '2026-09'
  const now = options.now ?? Date.now
  const userAgent = options.userAgent ?? 'attendance-stream'
  const pool = new Pool(url.origin, {
    connections: options.connections ?? 4,
    connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    headersTimeout: options.headersTimeoutMs ?? 30_000,
    bodyTimeout: options.bodyTimeoutMs ?? 30_000,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
  })
  let closed = false

  // Belt and braces: nothing HubSpot or undici says should contain the token, but if it ever did, it stops here.
  const redact = (s: string): string => (token.length > 0 ? s.split(token).join('[REDACTED]') : s)
  const redactResult = (r: CallResult): CallResult => {
    if (token.length === 0) return r
    const json = JSON.stringify(r)
    return json.includes(token) ? (JSON.parse(redact(json)) as CallResult) : r
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
    try {
      const res = await pool.request({
        method: 'POST',
        path,
        headers: {
          authorization,
          'content-type': 'application/json',
          accept: 'application/json',
          'user-agent': userAgent,
        },
        body,
        ...(signal === undefined ? {} : { signal }),
      })
      // The body is always read to its end (or destroyed by undici on error): an unread body pins the socket.
      const text = await res.body.text()
      return redactResult(
        interpretResponse(
          { statusCode: res.statusCode, headers: res.headers, text },
          inputs,
          isUpsertVariant(variant),
          now(),
        ),
      )
    } catch (e) {
      return transportFailure(e, signal)
    }
  }

  const client: HubSpotClient = {
    baseUrl: url.href,
    apiVersion,
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
