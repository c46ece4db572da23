import * as t from 'io-ts'

/**
 * Response bodies of HubSpot's "record attendance" endpoints (contract §3). HubSpot's newer specs mark most
 * fields required, but a client that refused a success because `links` was missing would turn a written batch
 * into a failure: these codecs require only what the client reads, and keep the rest optional. The simulator
 * sends every field the spec marks required.
 */

const StringArrayMap = t.record(t.string, t.array(t.string))

/** One entry of a `StandardError.errors` / error body `errors` list. */
export const ErrorDetail = t.intersection([
  t.type({ message: t.string }),
  t.partial({ code: t.string, in: t.string, subCategory: t.string, context: StringArrayMap }),
])
export type ErrorDetail = t.TypeOf<typeof ErrorDetail>

/** A per-input error inside a 200 batch response. `context` names the inputs (`vids`, `emails`). */
export const StandardError = t.intersection([
  t.type({ status: t.string, category: t.string, message: t.string }),
  t.partial({
    context: StringArrayMap,
    errors: t.array(ErrorDetail),
    links: t.record(t.string, t.string),
    id: t.string,
    subCategory: t.unknown,
  }),
])
export type StandardError = t.TypeOf<typeof StandardError>

/** The `status` of a successful attendance response: `COMPLETE`, `PENDING`, `PROCESSING` or `CANCELED`. */
export const BatchStatus = t.keyof({ COMPLETE: null, PENDING: null, PROCESSING: null, CANCELED: null })
/** A batch response's `status`. */
export type BatchStatus = t.TypeOf<typeof BatchStatus>

/** `{vid}` from the vid variants (A, C), `{vid, email}` from the email variants (B, D). */
export const SubscriberResult = t.partial({ vid: t.number, email: t.string })
export type SubscriberResult = t.TypeOf<typeof SubscriberResult>

/** The 200 body of variants A–D (`BatchResponseSubscriberVidResponse` / `…EmailResponse` in HubSpot's spec). */
export const BatchResponse = t.intersection([
  t.type({ status: BatchStatus, results: t.array(SubscriberResult) }),
  t.partial({
    startedAt: t.string,
    completedAt: t.string,
    requestedAt: t.string,
    numErrors: t.number,
    links: t.record(t.string, t.string),
    errors: t.array(StandardError),
  }),
])
export type BatchResponse = t.TypeOf<typeof BatchResponse>

/**
 * The body of a non-2xx response. HubSpot's `Error` schema requires only `category`, `correlationId` and
 * `message` (contract §5); everything else is optional. A 429 carries `errorType` and `policyName` and no
 * `category`, so it is decoded by {@link RateLimitBody}, not this codec: each field is read on its own.
 */
export const ErrorBody = t.intersection([
  t.type({ category: t.string, correlationId: t.string, message: t.string }),
  t.partial({
    status: t.string,
    subCategory: t.unknown,
    context: StringArrayMap,
    links: t.record(t.string, t.string),
    errors: t.array(ErrorDetail),
  }),
])
export type ErrorBody = t.TypeOf<typeof ErrorBody>

/** The `policyName` of a HubSpot 429: the rolling ten-second window or the daily limit. */
export const RateLimitPolicyName = t.keyof({ TEN_SECONDLY_ROLLING: null, DAILY: null })
/** `'TEN_SECONDLY_ROLLING' | 'DAILY'`. */
export type RateLimitPolicyName = t.TypeOf<typeof RateLimitPolicyName>

/**
 * The 429 body: `errorType: "RATE_LIMIT"` and which policy was hit. Only the two fields the client acts on are
 * required; a body without a recognised `policyName` is treated as ten-secondly by the client.
 */
export const RateLimitBody = t.intersection([
  t.type({ errorType: t.literal('RATE_LIMIT'), policyName: RateLimitPolicyName }),
  t.partial({ status: t.string, message: t.string, correlationId: t.string, groupName: t.string }),
])
export type RateLimitBody = t.TypeOf<typeof RateLimitBody>

/**
 * The 200 body of `POST /oauth/v1/token` (contract §5). `refresh_token` is optional here: a server that does not
 * rotate may leave it out, and the client then keeps the one it has.
 */
export const OAuthTokenResponse = t.intersection([
  t.type({ access_token: t.string, expires_in: t.number }),
  t.partial({ refresh_token: t.string, token_type: t.string }),
])
export type OAuthTokenResponse = t.TypeOf<typeof OAuthTokenResponse>
