/**
 * One error base class for the whole library. Retry logic and routing read `code` and `retryable`, never the
 * message. Context is enumerable (it shows in logs and `util.inspect`), so nothing secret may go into it: the
 * HubSpot token in particular never does.
 */

/** Every code an {@link AttendanceStreamError} or an error record can carry. Stable: alerting may match on them. */
/** The codes of records the decode stage refuses (records.md §1): each becomes an error record. */
export const DECODE_ERROR_CODES = [
  'TOMBSTONE',
  'TOO_LARGE',
  'INVALID_UTF8',
  'INVALID_JSON',
  'NOT_AN_OBJECT',
  'UNKNOWN_TYPE',
  'INVALID_EVENT',
  'TIMESTAMP_OUT_OF_RANGE',
  // the record names (by its `account` field) a HubSpot account the pipeline does not have
  'UNKNOWN_ACCOUNT',
] as const

export const ERROR_CODES = [
  // decode stage: a record that can never become an attendance record
  ...DECODE_ERROR_CODES,
  // sink stage
  'HUBSPOT_REJECTED',
  'HUBSPOT_RETRIES_EXHAUSTED',
  'HUBSPOT_DAILY_LIMIT',
  'HUBSPOT_UNAUTHENTICATED',
  'HUBSPOT_MISSING_SCOPES',
  'HUBSPOT_BAD_RESPONSE',
  // a 404 that is not OBJECT_NOT_FOUND: the path is unknown (wrong baseUrl or API version), a configuration fault
  'HUBSPOT_UNKNOWN_ENDPOINT',
  // the account's outage lasted longer than the sink's maxOutageMs (by default it is waited out, however long)
  'HUBSPOT_OUTAGE',
  // a stage threw on this record (a bug, or an input nobody foresaw): the record's error record says so, instead
  // of a member restart that would replay it forever
  'INTERNAL',
  // the sink was closed while a batch waited or was in flight: nothing is known about it, send it again
  'SINK_CLOSED',
  // infrastructure and configuration
  'INVALID_CONFIG',
  'KAFKA_UNAVAILABLE',
  // the broker refused the SASL login (kafka.sasl), or its TLS certificate is not trusted (kafka.ssl): retrying
  // cannot help, the configuration must change
  'KAFKA_AUTHENTICATION_FAILED',
  'KAFKA_CERTIFICATE_UNTRUSTED',
  // an input or output topic the member needs does not exist
  'KAFKA_TOPIC_MISSING',
  // a programming fault: a flow that emitted a second outcome for a record, or something that is no outcome
  'INTERNAL',
  'BROKER_START_FAILED',
  'SHUTDOWN_TIMEOUT',
] as const

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number]

/** What an {@link AttendanceStreamError} carries besides its code and message. */
export interface AttendanceStreamErrorOptions {
  /** True when trying again later may succeed (Kafka unavailable, a closed sink); default false. */
  readonly retryable?: boolean
  /** The underlying error. */
  readonly cause?: unknown
  /** Enumerable details for logs; never a secret. */
  readonly context?: Readonly<Record<string, unknown>>
}

/**
 * The library's one error class: infrastructure and configuration faults (bad records are data, not errors).
 *
 * @example
 * try { await pipeline.done } catch (e) { if (isAttendanceStreamError(e) && e.retryable) restartLater() }
 */
export class AttendanceStreamError extends Error {
  readonly code: ErrorCode
  readonly retryable: boolean
  readonly context: Readonly<Record<string, unknown>>

  constructor(code: ErrorCode, message: string, options: AttendanceStreamErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'AttendanceStreamError'
    this.code = code
    this.retryable = options.retryable ?? false
    this.context = options.context ?? {}
  }
}

/** Narrows an unknown thrown value to {@link AttendanceStreamError}. */
export const isAttendanceStreamError = (u: unknown): u is AttendanceStreamError =>
  u instanceof AttendanceStreamError
