import type { BatchKey } from '../../codecs/attendanceBatch.js'
import type { AttendanceRecord, EventRef } from '../../codecs/attendanceRecord.js'
import { contactKind } from '../../codecs/attendanceRecord.js'

/**
 * The batching key of records.md §2: (account, event incl. externalAccountId, subscriberState, contact key kind).
 * Records of one key can share one HubSpot request; anything that changes the URL or the endpoint is in it.
 */
export function batchKeyOf(record: AttendanceRecord): BatchKey {
  return {
    account: record.account,
    event: eventOf(record.event),
    subscriberState: record.subscriberState,
    contactKind: contactKind(record.contact),
  }
}

/**
 * A stable, collision-free string for a key: JSON of an ordered tuple, so no separator inside an account or event
 * id can make two keys collide, and a missing externalAccountId (`null`) differs from an empty one (`""`).
 */
export function batchKeyString(key: BatchKey): string {
  return keyTuple(key.account, key.event, key.subscriberState, key.contactKind)
}

/** `batchKeyString(batchKeyOf(record))` without building the key object: this runs once per record. */
export function recordKeyString(record: AttendanceRecord): string {
  return keyTuple(record.account, record.event, record.subscriberState, contactKind(record.contact))
}

const keyTuple = (account: string, event: EventRef, state: string, kind: string): string =>
  JSON.stringify(
    event.kind === 'external'
      ? [account, 'external', event.externalEventId, event.externalAccountId ?? null, state, kind]
      : [account, 'object', event.objectId, null, state, kind],
  )

// Copies only the fields that make the key, so a batch never drags along whatever else the record's object held.
const eventOf = (event: EventRef): EventRef => {
  if (event.kind === 'object') return { kind: 'object', objectId: event.objectId }
  return event.externalAccountId === undefined
    ? { kind: 'external', externalEventId: event.externalEventId }
    : { kind: 'external', externalEventId: event.externalEventId, externalAccountId: event.externalAccountId }
}
