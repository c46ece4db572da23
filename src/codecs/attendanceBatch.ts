import type { AttendanceRecord, EventRef, SubscriberState } from './attendanceRecord.js'
import type { SubscriberInput } from './hubspotRequests.js'

/**
 * What the batching stage hands to the sink: one HubSpot request's worth of inputs for one key, and every
 * source record merged into them, so that each source record can get its own outcome.
 * (Plain types, not codecs: a batch never crosses a process boundary.)
 */

/** The batching key of records.md §2: (account, event incl. externalAccountId, state, contact key kind). */
export interface BatchKey {
  readonly account: string
  readonly event: EventRef
  readonly subscriberState: SubscriberState
  readonly contactKind: 'vid' | 'email'
}

/** One HubSpot request's worth of inputs for one {@link BatchKey}, with every source record merged into them. */
export interface AttendanceBatch {
  /** Unique per process lifetime; appears in result records as `batch.id`. */
  readonly id: string
  readonly key: BatchKey
  /** One input per distinct contact (records of the same contact merged), in first-seen order. */
  readonly inputs: readonly SubscriberInput[]
  /** Every source record of the batch, in arrival order. */
  readonly records: readonly AttendanceRecord[]
  /** Size in bytes of `JSON.stringify({ inputs })`: the body HubSpot will get. */
  readonly bytes: number
  /** Scheduler time (ms) when the first record arrived and when the batch was emitted. */
  readonly openedAt: number
  readonly closedAt: number
  /**
   * Set when batching threw on the batch's one record (a bug, or a record nobody foresaw): the batch has no
   * inputs and the sink sends nothing, answering `Failed` INTERNAL with this message. It travels as a batch so that
   * the record still gets its outcome through the same stream, instead of erroring it and replaying on restart.
   */
  readonly failure?: { readonly message: string }
}
