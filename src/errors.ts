/**
 * One error base class for the whole library. Retry logic and routing read `code` and `retryable`, never the
 * message. Context is enumerable (it shows in logs and `util.inspect`), so nothing secret may go into it: the
 * HubSpot token in particular never does.
 */

export const ERROR_CODES = [
  // decode stage: a record that can never become an attendance record
  'TOMBSTONE',
  'TOO_LARGE',
  'INVALID_UTF8',
  'INVALID_JSON',
  'NOT_AN_OBJECT',
  'UNKNOWN_TYPE',
  'INVALID_EVENT',
  'TIMESTAMP_OUT_OF_RANGE',
  // sink stage
  'HUBSPOT_REJECTED',
  'HUBSPOT_RETRIES_EXHAUSTED',
  'HUBSPOT_DAILY_LIMIT',
  'HUBSPOT_UNAUTHENTICATED',
  'HUBSPOT_MISSING_SCOPES',
  'HUBSPOT_BAD_RESPONSE',
  // the sink was closed while a batch waited or was in flight: nothing is known about it, send it again
  'SINK_CLOSED',
  // infrastructure and configuration
  'INVALID_CONFIG',
  'KAFKA_UNAVAILABLE',
  'BROKER_START_FAILED',
  'SHUTDOWN_TIMEOUT',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export interface AttendanceStreamErrorOptions {
  readonly retryable?: boolean
  readonly cause?: unknown
  readonly context?: Readonly<Record<string, unknown>>
}

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

export const isAttendanceStreamError = (u: unknown): u is AttendanceStreamError =>
  u instanceof AttendanceStreamError
