import * as t from 'io-ts'
import type { SourceRecord } from '../member/sourceRecord.js'
import type { AttendanceRecord, ContactKey, EventRef, StringMap } from './attendanceRecord.js'
import { AccountName, DigitString, EmailAddress, identifier, Timestamp, Vid } from './primitives.js'

/**
 * The two input event types of records.md §1 and their mapping to the normalized AttendanceRecord.
 *
 * `__proto__`: JSON.parse makes an input key `__proto__` an ordinary own property, but io-ts copies objects
 * with `Object.assign` (t.type, when a field decodes to a new value such as an ISO time) and merges
 * intersections with `r[k] = u[k]` — both run the `__proto__` setter, so the copy would inherit whatever
 * the producer put there, unvalidated. Every object codec here therefore validates `withoutProtoKey(u)`,
 * and optional fields are `optional(codec)` members of a `t.type`, never `t.partial` in a `t.intersection`.
 */

/** `codec`, or absent (`undefined`). Validates in the same context, so errors keep the field's path. */
export const optional = <C extends t.Mixed>(codec: C) =>
  new t.Type<t.TypeOf<C> | undefined, t.OutputOf<C> | undefined, unknown>(
    codec.name,
    (u): u is t.TypeOf<C> | undefined => u === undefined || codec.is(u),
    (u, c) => (u === undefined ? t.success(undefined) : codec.validate(u, c)),
    (a) => (a === undefined ? undefined : codec.encode(a)),
  )

const isPlainObject = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === 'object' && u !== null && !Array.isArray(u)

/** `u`, or a copy of it without an own `__proto__` key (defineProperty never runs the setter). */
export const withoutProtoKey = (u: unknown): unknown => {
  if (!isPlainObject(u) || !Object.hasOwn(u, '__proto__')) return u
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(u)) {
    if (key !== '__proto__')
      Object.defineProperty(copy, key, {
        value: u[key],
        enumerable: true,
        writable: true,
        configurable: true,
      })
  }
  return copy
}

/** `scanId`: 1–128 characters, no control characters. */
export const ScanId = identifier(1, 128)
/** `checkinId`: 1–128 characters, no control characters. */
export const CheckinId = identifier(1, 128)
/** `eventId`, HubSpot's externalEventId and a URL path segment: 1–256 characters, no control characters, not `.`/`..`. */
export const EventId = identifier(1, 256, true)
/** `externalAccountId`, a query parameter: 1–256 characters, no control characters. */
export const ExternalAccountId = identifier(1, 256)

/**
 * A contact property name. `__proto__` is refused outright: it is no HubSpot property, and a plain object
 * carrying it as an own key turns into a prototype assignment in any later `Object.assign` or `obj[k] = v`.
 */
export const PropertyName = new t.Type<string, string, unknown>(
  'a property name of 1 to 256 characters, not __proto__',
  (u): u is string => typeof u === 'string' && u.length > 0 && u.length <= 256 && u !== '__proto__',
  (u, c) => {
    if (typeof u !== 'string' || u.length === 0 || u.length > 256) return t.failure(u, c)
    if (u === '__proto__') return t.failure(u, c, 'not allowed as a property name')
    return t.success(u)
  },
  t.identity,
)

/**
 * Contact properties: property name → string. Hand-written rather than `t.record(PropertyName, t.string)`
 * because io-ts's record silently drops keys its domain rejects; here a bad name is a reported problem.
 */
export const ContactProperties = new t.Type<
  Readonly<Record<string, string>>,
  Readonly<Record<string, string>>,
  unknown
>(
  'an object of string values',
  (u): u is Readonly<Record<string, string>> =>
    isPlainObject(u) && Object.keys(u).every((k) => PropertyName.is(k) && typeof u[k] === 'string'),
  (u, c) => {
    if (!isPlainObject(u)) return t.failure(u, c)
    const errors: t.ValidationError[] = []
    for (const key of Object.keys(u)) {
      const value = u[key]
      const name = PropertyName.validate(key, t.appendContext(c, key, PropertyName, key))
      if (name._tag === 'Left') errors.push(...name.left)
      else if (typeof value !== 'string')
        errors.push({ value, context: t.appendContext(c, key, t.string, value) })
    }
    // The input object itself, as io-ts does: with every key checked there is nothing in it to strip.
    return errors.length > 0 ? t.failures(errors) : t.success(u as Readonly<Record<string, string>>)
  },
  t.identity,
)

/** A contact named by HubSpot contact id: `{ vid }`. */
export const VidContact = t.type({ vid: Vid }, 'an object with vid')
/** `{ vid: number }`. */
export type VidContact = t.TypeOf<typeof VidContact>
/** A contact named by email, with the properties HubSpot uses if it creates the contact. */
export const EmailContact = t.type(
  { email: EmailAddress, properties: optional(ContactProperties) },
  'an object with email',
)
/** `{ email, properties? }`. */
export type EmailContact = t.TypeOf<typeof EmailContact>

const isVidContact = (contact: VidContact | EmailContact): contact is VidContact =>
  typeof (contact as { vid?: unknown }).vid === 'number'

/** Exactly one of `{ vid }` or `{ email, properties? }`: they go to different HubSpot endpoints. */
export const Contact = new t.Type<
  VidContact | EmailContact,
  t.OutputOf<typeof EmailContact> | VidContact,
  unknown
>(
  'an object with vid or email',
  (u): u is VidContact | EmailContact => {
    if (!isPlainObject(u) || (u['vid'] === undefined) === (u['email'] === undefined)) return false
    return u['vid'] === undefined ? EmailContact.is(u) : u['properties'] === undefined && VidContact.is(u)
  },
  (input, c) => {
    const u = withoutProtoKey(input)
    if (!isPlainObject(u)) return t.failure(u, c)
    const hasVid = u['vid'] !== undefined
    const hasEmail = u['email'] !== undefined
    if (hasVid && hasEmail) return t.failure(u, c, 'expected exactly one of vid or email, got both')
    if (!hasVid && !hasEmail) return t.failure(u, c, 'expected exactly one of vid or email, got neither')
    if (!hasVid) return EmailContact.validate(u, c)
    const vid = VidContact.validate(u, c)
    if (u['properties'] === undefined) return vid
    // Contact properties only matter when HubSpot creates a contact by email; with a vid they would be lost.
    const misplaced: t.ValidationError = {
      value: u['properties'],
      context: t.appendContext(c, 'properties', ContactProperties, u['properties']),
      message: 'only allowed with email, not with vid',
    }
    return t.failures([...(vid._tag === 'Left' ? vid.left : []), misplaced])
  },
  (a) => (isVidContact(a) ? VidContact.encode(a) : EmailContact.encode(a)),
)

/**
 * Adds the event-reference rule to an event codec: exactly one of `eventId` / `eventObjectId`, and
 * `externalAccountId` only with `eventId` (the objectId endpoints take no account). Reported together
 * with the field errors, so a producer sees every problem at once.
 */
const withEventReference = <C extends t.Mixed>(codec: C) =>
  new t.Type<t.TypeOf<C>, t.OutputOf<C>, unknown>(
    codec.name,
    (u): u is t.TypeOf<C> => codec.is(u) && eventReferenceErrors(u, []).length === 0,
    (input, c) => {
      const u = withoutProtoKey(input)
      const fields = codec.validate(u, c)
      const reference = isPlainObject(u) ? eventReferenceErrors(u, c) : []
      if (reference.length === 0) return fields
      return t.failures([...(fields._tag === 'Left' ? fields.left : []), ...reference])
    },
    codec.encode,
  )

const eventReferenceErrors = (u: unknown, c: t.Context): t.ValidationError[] => {
  if (!isPlainObject(u)) return []
  const at = (key: string, message: string): t.ValidationError => ({
    value: u[key],
    context: t.appendContext(c, key, EventId, u[key]),
    message,
  })
  const hasEventId = u['eventId'] !== undefined
  const hasObjectId = u['eventObjectId'] !== undefined
  if (!hasEventId && !hasObjectId)
    return [at('eventId', `missing, expected ${EventId.name} (or eventObjectId)`)]
  if (hasEventId && hasObjectId) return [at('eventObjectId', 'not allowed together with eventId')]
  if (hasObjectId && u['externalAccountId'] !== undefined)
    return [at('externalAccountId', 'only allowed with eventId, not with eventObjectId')]
  return []
}

/** A scan's `direction`: `in` (sets `joinedAt`) or `out` (sets `leftAt`). */
export const Direction = t.keyof({ in: null, out: null }, '"in" or "out"')
/** A check-in's `state`: `register`, `attend` or `cancel`. */
export const CheckinState = t.keyof(
  { register: null, attend: null, cancel: null },
  '"register", "attend" or "cancel"',
)
/** A scan's optional `scanner` object of strings (not sent to HubSpot). */
export const ScannerInfo = t.record(t.string, t.string, 'an object of string values')

/** The `badge.scanned` input event (docs/records.md §1). */
export const BadgeScanned = withEventReference(
  t.type(
    {
      type: t.literal('badge.scanned'),
      scanId: ScanId,
      eventId: optional(EventId),
      eventObjectId: optional(DigitString),
      externalAccountId: optional(ExternalAccountId),
      contact: Contact,
      scannedAt: Timestamp,
      direction: optional(Direction),
      scanner: optional(ScannerInfo),
      account: optional(AccountName),
    },
    'a badge.scanned event',
  ),
)
/** A decoded `badge.scanned` event. */
export type BadgeScanned = t.TypeOf<typeof BadgeScanned>

/** The `attendee.checkin` input event (docs/records.md §1). */
export const AttendeeCheckin = withEventReference(
  t.type(
    {
      type: t.literal('attendee.checkin'),
      checkinId: CheckinId,
      eventId: optional(EventId),
      eventObjectId: optional(DigitString),
      externalAccountId: optional(ExternalAccountId),
      state: CheckinState,
      contact: Contact,
      occurredAt: Timestamp,
      account: optional(AccountName),
    },
    'an attendee.checkin event',
  ),
)
/** A decoded `attendee.checkin` event. */
export type AttendeeCheckin = t.TypeOf<typeof AttendeeCheckin>

/** The codec of each accepted `type`; the decode stage dispatches on `type` before validating. */
export const INPUT_EVENT_CODECS = {
  'badge.scanned': BadgeScanned,
  'attendee.checkin': AttendeeCheckin,
} as const
/** `'badge.scanned' | 'attendee.checkin'`: the `type` of an input event. */
export type InputEventType = keyof typeof INPUT_EVENT_CODECS
/** Every input event `type`, for messages and checks. */
export const INPUT_EVENT_TYPES = Object.keys(INPUT_EVENT_CODECS) as readonly InputEventType[]

/** True when `u` is a known input event `type`. */
export const isInputEventType = (u: unknown): u is InputEventType =>
  typeof u === 'string' && Object.hasOwn(INPUT_EVENT_CODECS, u)

/** Either input event, told apart by `type`. */
export const InputEvent = t.union(
  [BadgeScanned, AttendeeCheckin],
  'a badge.scanned or attendee.checkin event',
)
/** A decoded input event of either type. */
export type InputEvent = t.TypeOf<typeof InputEvent>

/** The field holding an event's time: the one a TIMESTAMP_OUT_OF_RANGE error names. */
export const timestampField = (event: InputEvent): 'scannedAt' | 'occurredAt' =>
  event.type === 'badge.scanned' ? 'scannedAt' : 'occurredAt'

/** The event's time in epoch ms: `scannedAt` or `occurredAt`. */
export const interactionTime = (event: InputEvent): number =>
  event.type === 'badge.scanned' ? event.scannedAt : event.occurredAt

const eventRef = (event: InputEvent): EventRef => {
  if (event.eventObjectId !== undefined) return { kind: 'object', objectId: event.eventObjectId }
  const externalEventId = event.eventId!
  return event.externalAccountId === undefined
    ? { kind: 'external', externalEventId }
    : { kind: 'external', externalEventId, externalAccountId: event.externalAccountId }
}

// Fresh objects only: the decoded contact may be the input object itself, with whatever else it carried.
const contactKey = (contact: VidContact | EmailContact): ContactKey =>
  isVidContact(contact) ? { vid: contact.vid } : { email: contact.email }

const contactProperties = (contact: VidContact | EmailContact): StringMap =>
  isVidContact(contact) || contact.properties === undefined
    ? {}
    : Object.fromEntries(Object.entries(contact.properties))

/**
 * An input event as the AttendanceRecord the rest of the pipeline works on (records.md §1):
 * a scan is an `attend` whose direction sets `joinedAt` (in) or `leftAt` (out); a check-in keeps its state,
 * and an `attend` check-in sets `joinedAt` too, so both paths tell HubSpot when the contact arrived.
 */
export const toAttendanceRecord = (
  event: InputEvent,
  source: SourceRecord,
  account: string,
): AttendanceRecord => {
  const at = interactionTime(event)
  if (event.type === 'badge.scanned') {
    return {
      account,
      event: eventRef(event),
      subscriberState: 'attend',
      contact: contactKey(event.contact),
      interactionDateTime: at,
      properties: event.direction === 'out' ? { leftAt: String(at) } : { joinedAt: String(at) },
      contactProperties: contactProperties(event.contact),
      origin: { type: 'badge.scanned', id: event.scanId },
      source,
    }
  }
  return {
    account,
    event: eventRef(event),
    subscriberState: event.state,
    contact: contactKey(event.contact),
    interactionDateTime: at,
    properties: event.state === 'attend' ? { joinedAt: String(at) } : {},
    contactProperties: contactProperties(event.contact),
    origin: { type: 'attendee.checkin', id: event.checkinId },
    source,
  }
}
