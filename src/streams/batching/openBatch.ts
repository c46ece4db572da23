import type { AttendanceBatch, BatchKey } from '../../codecs/attendanceBatch.js'
import type { AttendanceRecord } from '../../codecs/attendanceRecord.js'
import { contactIdentity } from '../../codecs/attendanceRecord.js'
import type { SubscriberInput } from '../../codecs/hubspotRequests.js'
import { EMPTY_REQUEST_BYTES, inputBytes } from './requestBytes.js'
import { mergeSubscriberInput, toSubscriberInput } from './subscriberInput.js'

/** What adding one record would do to a batch, computed once and then either committed or dropped. */
export interface AddPlan {
  readonly record: AttendanceRecord
  readonly identity: string
  /** Index of the input the record merges into, or `undefined` when it brings a new contact. */
  readonly slot: number | undefined
  readonly input: SubscriberInput
  readonly inputBytes: number
  /** Body size of the batch with the record added. */
  readonly bytes: number
}

/**
 * A batch that is still collecting records for one key. Mutable on purpose: it lives only until it is sealed,
 * and copying arrays per record would make batching quadratic in the batch size.
 */
export class OpenBatch {
  readonly inputs: SubscriberInput[] = []
  readonly records: AttendanceRecord[] = []
  /** Body size of `{ inputs }` in bytes, kept up to date per record instead of re-stringifying the batch. */
  bytes = EMPTY_REQUEST_BYTES
  /**
   * `collecting` until `maxWaitMs` is up (in the accumulator's deadline list); then, when the account has no slot
   * free, `overdue`: still taking records of its key while it waits; `closed` once full (or evicted): it waits for
   * a slot but takes nothing more.
   */
  state: 'collecting' | 'overdue' | 'closed' = 'collecting'
  /** Neighbours in opening order: the accumulator's list, oldest first, for O(1) eviction and deadlines. */
  older: OpenBatch | undefined = undefined
  newer: OpenBatch | undefined = undefined
  private readonly sizes: number[] = []
  private readonly slots = new Map<string, number>()

  constructor(
    readonly key: BatchKey,
    readonly keyString: string,
    readonly openedAt: number,
  ) {}

  /** Distinct contacts, which is what maxBatchSize counts. */
  get contacts(): number {
    return this.inputs.length
  }

  plan(record: AttendanceRecord): AddPlan {
    const identity = contactIdentity(record.contact)
    const slot = this.slots.get(identity)
    if (slot === undefined) {
      const input = toSubscriberInput(record)
      const size = inputBytes(input)
      const separator = this.inputs.length > 0 ? 1 : 0
      return { record, identity, slot, input, inputBytes: size, bytes: this.bytes + separator + size }
    }
    const input = mergeSubscriberInput(this.inputs[slot]!, record)
    const size = inputBytes(input)
    // A merge can shrink the input too (an earlier joinedAt with fewer digits), so both sizes count.
    return { record, identity, slot, input, inputBytes: size, bytes: this.bytes - this.sizes[slot]! + size }
  }

  commit(plan: AddPlan): void {
    if (plan.slot === undefined) {
      this.slots.set(plan.identity, this.inputs.length)
      this.inputs.push(plan.input)
      this.sizes.push(plan.inputBytes)
    } else {
      this.inputs[plan.slot] = plan.input
      this.sizes[plan.slot] = plan.inputBytes
    }
    this.records.push(plan.record)
    this.bytes = plan.bytes
  }

  toBatch(id: string, closedAt: number): AttendanceBatch {
    return {
      id,
      key: this.key,
      inputs: this.inputs,
      records: this.records,
      bytes: this.bytes,
      openedAt: this.openedAt,
      closedAt,
    }
  }
}
