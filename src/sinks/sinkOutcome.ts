import type { AttendanceRecord } from '../codecs/attendanceRecord.js'

/**
 * What the HubSpot sink says about each source record of a batch: exactly one outcome per record, in the
 * batch's record order. The pipeline turns `Recorded` into a result record and the others into error records.
 */

/** HubSpot accepted the record's input. */
export interface Recorded {
  readonly _tag: 'Recorded'
  readonly record: AttendanceRecord
  readonly batchId: string
  /** Inputs in the batch (after merging records of the same contact). */
  readonly batchSize: number
  /** Requests that carried this record's input, the accepting one included. */
  readonly attempts: number
  /** Scheduler time (ms) the accepting request was sent and answered. */
  readonly sentAt: number
  readonly completedAt: number
  readonly hubspotStatus: string
  readonly correlationId?: string
}

/** What HubSpot (or the client) said about a record that was not recorded: the error record's text and `hubspot`. */
export interface SinkProblem {
  readonly message: string
  readonly details: readonly string[]
  readonly httpStatus?: number
  readonly category?: string
  readonly correlationId?: string
}

/** HubSpot refused the input, or the request could not be made: sending it again unchanged cannot help. */
export interface Rejected extends SinkProblem {
  readonly _tag: 'Rejected'
  readonly record: AttendanceRecord
  readonly batchId: string
  readonly attempts: number
  readonly code:
    | 'HUBSPOT_REJECTED'
    | 'HUBSPOT_UNAUTHENTICATED'
    | 'HUBSPOT_MISSING_SCOPES'
    | 'HUBSPOT_UNKNOWN_ENDPOINT'
    | 'HUBSPOT_BAD_RESPONSE'
}

/**
 * Sending might work later (a redrive): retries ran out, the account's daily allowance is spent, an outage
 * outlasted `maxOutageMs`, or a stage threw on the record (INTERNAL: our fault, which a fixed release may cure).
 */
export interface Failed extends SinkProblem {
  readonly _tag: 'Failed'
  readonly record: AttendanceRecord
  readonly batchId: string
  readonly attempts: number
  readonly code: 'HUBSPOT_RETRIES_EXHAUSTED' | 'HUBSPOT_DAILY_LIMIT' | 'HUBSPOT_OUTAGE' | 'INTERNAL'
}

/** What happened to one source record at the sink. */
export type SinkOutcome = Recorded | Rejected | Failed

/** Narrows a {@link SinkOutcome} to {@link Recorded}. */
export const isRecorded = (o: SinkOutcome): o is Recorded => o._tag === 'Recorded'
/** Narrows a {@link SinkOutcome} to {@link Rejected}. */
export const isRejected = (o: SinkOutcome): o is Rejected => o._tag === 'Rejected'
/** Narrows a {@link SinkOutcome} to {@link Failed}. */
export const isFailed = (o: SinkOutcome): o is Failed => o._tag === 'Failed'
