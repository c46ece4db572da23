import { isRight } from 'fp-ts/lib/Either.js'
import type { SubscriberInput } from '../../codecs/hubspotRequests.js'
import { BatchResponse, ErrorBody, RateLimitBody } from '../../codecs/hubspotResponses.js'
import type { CallFailure, CallResult, CallSuccess, FailureKind, RateLimitHeaders } from './callResult.js'
import { mapBatchOutcomes, namedByErrorBody } from './mapInputs.js'
import { readRateLimitHeaders } from './rateLimitHeaders.js'

export interface RawResponse {
  readonly statusCode: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly text: string
}

const header = (h: RawResponse['headers'], name: string): string | undefined => {
  const v = h[name]
  return Array.isArray(v) ? v[0] : v
}

const parseJson = (text: string): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    return { ok: false }
  }
}

const oneLine = (s: string, max = 500): string => {
  const flat = s.replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max)}…` : flat
}

const kindOfStatus = (status: number): { kind: FailureKind; retryable: boolean } => {
  if (status === 401) return { kind: 'unauthenticated', retryable: false }
  if (status === 403) return { kind: 'missingScopes', retryable: false }
  if (status === 404) return { kind: 'notFound', retryable: false }
  if (status === 408) return { kind: 'timeout', retryable: true }
  if (status >= 500) return { kind: 'server', retryable: true }
  if (status >= 400) return { kind: 'validation', retryable: false }
  return { kind: 'badResponse', retryable: false }
}

const withCorrelation = <T extends { correlationId?: string }>(target: T, id: string | undefined): T => {
  if (id !== undefined) target.correlationId = id
  return target
}

const badResponse = (
  r: RawResponse,
  rateLimit: RateLimitHeaders,
  correlationId: string | undefined,
  message: string,
  retryable: boolean,
  body: unknown,
): CallFailure =>
  withCorrelation<CallFailure>(
    {
      _tag: 'failure',
      kind: 'badResponse',
      retryable,
      httpStatus: r.statusCode,
      message,
      rateLimit,
      body,
      details: [],
    },
    correlationId,
  )

// An `in` of `inputs` (too many) or `inputs[i]…` is about the inputs; anything else (`externalAccountId`,
// `subscriberState`) is about the request. Without an `in` on every entry nobody knows: the sink may split.
const blamesOnlyTheRequest = (body: { errors?: readonly { in?: string }[] }): boolean => {
  const errors = body.errors ?? []
  return errors.length > 0 && errors.every((e) => e.in !== undefined && !e.in.startsWith('inputs'))
}

/**
 * Turns one HTTP response into a CallResult. `emptySuccess` marks the upsert variants, whose 2xx has no
 * documented body: any body is ignored and every input counts as accepted.
 */
export const interpretResponse = (
  r: RawResponse,
  inputs: readonly SubscriberInput[],
  emptySuccess: boolean,
  now: number,
): CallResult => {
  const rateLimit = readRateLimitHeaders(r.headers, now)
  const headerCorrelation = header(r.headers, 'x-hubspot-correlation-id')
  const parsed = r.text.trim() === '' ? undefined : parseJson(r.text)

  if (r.statusCode >= 200 && r.statusCode < 300) {
    if (emptySuccess)
      return withCorrelation<CallSuccess>(
        {
          _tag: 'success',
          httpStatus: r.statusCode,
          status: 'NO_CONTENT',
          acceptedIndices: inputs.map((_, i) => i),
          rejected: [],
          rateLimit,
        },
        headerCorrelation,
      )
    // A body that does not parse may be a truncated transfer (worth a retry, and the write is idempotent);
    // JSON of the wrong shape will not change on a retry.
    if (parsed === undefined || !parsed.ok)
      return badResponse(
        r,
        rateLimit,
        headerCorrelation,
        `HubSpot answered ${r.statusCode} with a body that is not JSON`,
        true,
        oneLine(r.text, 2000),
      )
    const decoded = BatchResponse.decode(parsed.value)
    if (!isRight(decoded))
      return badResponse(
        r,
        rateLimit,
        headerCorrelation,
        `HubSpot answered ${r.statusCode} with an unexpected body shape`,
        false,
        parsed.value,
      )
    const body = decoded.right
    // Policy (the contract lists CANCELED without saying what it means): a canceled batch is taken as not
    // written, so it is retried like a server error rather than reported as recorded. Writes are idempotent.
    if (body.status === 'CANCELED')
      return withCorrelation<CallFailure>(
        {
          _tag: 'failure',
          kind: 'server',
          retryable: true,
          httpStatus: r.statusCode,
          message: `HubSpot answered ${r.statusCode} with status CANCELED: the batch was not recorded`,
          rateLimit,
          body: parsed.value,
          details: [],
        },
        headerCorrelation,
      )
    const { acceptedIndices, rejected } = mapBatchOutcomes(inputs, body.results, body.errors ?? [])
    const success: CallResult = {
      _tag: 'success',
      httpStatus: r.statusCode,
      status: body.status,
      acceptedIndices,
      rejected,
      rateLimit,
    }
    if (body.startedAt !== undefined) success.startedAt = body.startedAt
    if (body.completedAt !== undefined) success.completedAt = body.completedAt
    return withCorrelation(success, headerCorrelation)
  }

  const value = parsed?.ok === true ? parsed.value : r.text === '' ? undefined : oneLine(r.text, 2000)
  // Each schema is read on its own: a 429 has `errorType` and `policyName` but no `category` (contract §5).
  const decoded = ErrorBody.decode(value)
  const errorBody = isRight(decoded) ? decoded.right : undefined
  const decodedLimit = r.statusCode === 429 ? RateLimitBody.decode(value) : undefined
  const limitBody = decodedLimit !== undefined && isRight(decodedLimit) ? decodedLimit.right : undefined
  const bodyCorrelation = errorBody?.correlationId ?? limitBody?.correlationId
  const correlationId = headerCorrelation ?? bodyCorrelation
  const { kind, retryable } =
    r.statusCode === 429 ? { kind: 'rateLimited' as const, retryable: true } : kindOfStatus(r.statusCode)
  const category = errorBody?.category ?? limitBody?.errorType
  const bodyMessage = errorBody?.message ?? limitBody?.message
  const message = `HubSpot ${r.statusCode}${category === undefined ? '' : ` ${category}`}: ${
    bodyMessage !== undefined
      ? oneLine(bodyMessage)
      : typeof value === 'string' && value !== ''
        ? value
        : errorBody === undefined && limitBody === undefined && value !== undefined
          ? oneLine(JSON.stringify(value), 500)
          : 'no error body'
  }`
  const details = (errorBody?.errors ?? []).map(
    (d) =>
      `${d.code === undefined ? '' : `${d.code}: `}${oneLine(d.message)}${d.in === undefined ? '' : ` (in ${d.in})`}`,
  )
  const failure: CallFailure = {
    _tag: 'failure',
    kind,
    retryable,
    httpStatus: r.statusCode,
    message,
    rateLimit,
    details,
  }
  if (value !== undefined) failure.body = value
  if (category !== undefined) failure.category = category
  withCorrelation(failure, correlationId)
  if (r.statusCode === 429) {
    // A 429 without a recognisable policy is treated as the ten-secondly one: retry after the window.
    const policy = limitBody?.policyName ?? 'TEN_SECONDLY_ROLLING'
    failure.policy = policy
    // A daily limit resets at midnight in the account's time zone: retrying with backoff only adds 429s.
    failure.retryable = policy !== 'DAILY'
    if (rateLimit.retryAfterMs !== undefined) failure.retryAfterMs = rateLimit.retryAfterMs
  }
  if (kind === 'validation' && errorBody !== undefined) {
    const named = namedByErrorBody(inputs, errorBody)
    if (named.length > 0) failure.rejected = named
    else if (blamesOnlyTheRequest(errorBody)) failure.requestLevel = true
  }
  return failure
}
