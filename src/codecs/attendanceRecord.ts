import * as t from 'io-ts'
import type { SourceRecord } from '../member/sourceRecord.js'

/**
 * The normalized attendance record every stage after decoding works on, and the raw Kafka record
 * decoding starts from. These types are shared by all stages, so they live here, in one place:
 * the codecs are the single source of truth (`t.TypeOf<…>`), no hand-written interface can drift.
 */

/**
 * Where a record came from. `key` is the Kafka key as UTF-8 text, or base64 when `keyEncoding` says so
 * (keys are arbitrary bytes); outcome records are keyed by the same bytes.
 */
export const SourceCoordinates = t.intersection([
  t.type({
    topic: t.string,
    partition: t.number,
    offset: t.string,
    timestamp: t.string,
    key: t.union([t.string, t.null]),
  }),
  t.partial({ keyEncoding: t.literal('base64') }),
])
export type SourceCoordinates = t.TypeOf<typeof SourceCoordinates>

const isSourceRecord = (u: unknown): u is SourceRecord =>
  SourceCoordinates.is(u) && 'value' in u && (u.value === null || Buffer.isBuffer(u.value))

/**
 * The input record an attendance record was decoded from, carried through the flow as it came from the member
 * (coordinates, original value, lease): the outcome of each record is a pure function of what it carries.
 */
export const SourceRecordCodec = new t.Type<SourceRecord, SourceRecord, unknown>(
  'SourceRecord',
  isSourceRecord,
  (u, c) => (isSourceRecord(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
)

/** The wire coordinates of a source record: what result and error records say in their `source`. */
export const coordinatesOf = (source: SourceRecord): SourceCoordinates => ({
  topic: source.topic,
  partition: source.partition,
  offset: source.offset,
  timestamp: source.timestamp,
  key: source.key,
  ...(source.keyEncoding === undefined ? {} : { keyEncoding: source.keyEncoding }),
})

/** HubSpot's subscriber states: `register`, `attend` or `cancel` (the `{state}` path segment). */
export const SubscriberState = t.keyof({ register: null, attend: null, cancel: null })
/** `'register' | 'attend' | 'cancel'`. */
export type SubscriberState = t.TypeOf<typeof SubscriberState>

/** Which HubSpot marketing event: by the integration's external id (variants A, B, E, F) or HubSpot's objectId (C, D). */
export const EventRef = t.union([
  t.intersection([
    t.type({ kind: t.literal('external'), externalEventId: t.string }),
    t.partial({ externalAccountId: t.string }),
  ]),
  t.type({ kind: t.literal('object'), objectId: t.string }),
])
export type EventRef = t.TypeOf<typeof EventRef>

/** A contact is named by HubSpot contact id (`vid`) or by email; the two go to different endpoints. */
export const ContactKey = t.union([t.type({ vid: t.number }), t.type({ email: t.string })])
export type ContactKey = t.TypeOf<typeof ContactKey>

/** An object of string values (HubSpot properties). */
export const StringMap = t.record(t.string, t.string)
/** `Record<string, string>`. */
export type StringMap = t.TypeOf<typeof StringMap>

/** The normalized attendance record: what every stage after decoding works on (docs/records.md §1). */
export const AttendanceRecord = t.type({
  /** The HubSpot account (token) the record is written with; `'default'` when only one is configured. */
  account: t.string,
  event: EventRef,
  subscriberState: SubscriberState,
  contact: ContactKey,
  /** Epoch milliseconds. */
  interactionDateTime: t.number,
  /** HubSpot participation properties; for `attend` only `joinedAt` / `leftAt` (epoch-ms strings). */
  properties: StringMap,
  /** Used by the email variants only when HubSpot creates the contact. */
  contactProperties: StringMap,
  /** `badge.scanned` or `attendee.checkin`, and its scanId / checkinId. */
  origin: t.type({ type: t.keyof({ 'badge.scanned': null, 'attendee.checkin': null }), id: t.string }),
  source: SourceRecordCodec,
})
/** One decoded badge scan or check-in, with the Kafka coordinates it came from. */
export type AttendanceRecord = t.TypeOf<typeof AttendanceRecord>

/** `'vid'` or `'email'`: which endpoint family a contact goes to. */
export const contactKind = (contact: ContactKey): 'vid' | 'email' => ('vid' in contact ? 'vid' : 'email')

/**
 * The identity of a contact inside one batch. Emails compare case-insensitively, as HubSpot matches them.
 */
export const contactIdentity = (contact: ContactKey): string =>
  'vid' in contact ? `vid:${contact.vid}` : `email:${contact.email.toLowerCase()}`
