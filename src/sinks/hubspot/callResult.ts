import type { BatchStatus } from '../../codecs/hubspotResponses.js'
/**
 * What one HubSpot attendance call ends as. A call never throws for an HTTP or network outcome: the sink
 * routes on these tagged values and reads `retryable`, never a message.
 */

/** The `X-HubSpot-RateLimit-*` headers (and `Retry-After`) of a response, when present and numeric. */
export interface RateLimitHeaders {
  max?: number
  remaining?: number
  intervalMs?: number
  daily?: number
  dailyRemaining?: number
  retryAfterMs?: number
}

/** One input HubSpot refused. `index` points into the request's `inputs`. */
export interface RejectedInput {
  index: number
  message: string
  category?: string
  subCategory?: string
  code?: string
}

/** HubSpot answered 2xx: which inputs it accepted and which it rejected, with the rate-limit headers. */
export interface CallSuccess {
  _tag: 'success'
  httpStatus: number
  /** `NO_CONTENT`: the upsert variants (E, F), whose success has no documented body. */
  status: BatchStatus | 'NO_CONTENT'
  correlationId?: string
  /** Indices into the request's `inputs`; together with `rejected` they cover every input exactly once. */
  acceptedIndices: number[]
  rejected: RejectedInput[]
  rateLimit: RateLimitHeaders
  startedAt?: string
  completedAt?: string
}

/** Why a call failed, as the sink's retry logic needs it (docs/hubspot.md, "What a call returns"). */
export type FailureKind =
  | 'validation'
  | 'unauthenticated'
  | 'missingScopes'
  | 'notFound'
  | 'rateLimited'
  | 'server'
  | 'network'
  | 'timeout'
  | 'badResponse'

/** Which HubSpot limit a 429 hit. */
export type RateLimitPolicy = 'TEN_SECONDLY_ROLLING' | 'DAILY'

/** A call that did not succeed: its kind, whether a retry may help, and what HubSpot said. */
export interface CallFailure {
  _tag: 'failure'
  kind: FailureKind
  /** Whether sending the same request again later may succeed (with backoff; a daily 429 is `false`). */
  retryable: boolean
  httpStatus?: number
  /** One line, never containing the token. */
  message: string
  category?: string
  correlationId?: string
  /** Only for `rateLimited`. */
  policy?: RateLimitPolicy
  retryAfterMs?: number
  rateLimit: RateLimitHeaders
  /** The decoded (or raw text) error body, when there was one. */
  body?: unknown
  /** HubSpot's error entries, one line each. */
  details: string[]
  /**
   * For a whole-request 400 whose errors name some inputs (by `context.vids` / `context.emails` or an
   * `in: "inputs[3]…"` path): those inputs, so the sink can isolate them and resend the rest.
   */
  rejected?: RejectedInput[]
  /**
   * A 400 whose every error entry points at the request itself (`in` a query parameter or path segment, such
   * as `externalAccountId`), none at `inputs`: no subset of the inputs would fare better, so splitting is futile.
   */
  requestLevel?: boolean
}

/** What one client call resolves to; a call never throws for an HTTP or network outcome. */
export type CallResult = CallSuccess | CallFailure

/** Narrows a {@link CallResult} to {@link CallSuccess}. */
export const isCallSuccess = (r: CallResult): r is CallSuccess => r._tag === 'success'
/** Narrows a {@link CallResult} to {@link CallFailure}. */
export const isCallFailure = (r: CallResult): r is CallFailure => r._tag === 'failure'
