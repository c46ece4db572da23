import * as t from 'io-ts'
import { StringMap } from './attendanceRecord.js'

/**
 * Request bodies of HubSpot's "record attendance" endpoints (contract §2). Newer HubSpot specs mark every
 * field required, so `properties` is always sent (maybe `{}`), and `contactProperties` on email inputs.
 */

export const MarketingEventSubscriber = t.type({
  vid: t.number,
  interactionDateTime: t.number,
  properties: StringMap,
})
export type MarketingEventSubscriber = t.TypeOf<typeof MarketingEventSubscriber>

/** One input of the email variants (B, D, F): the contact by email, with `contactProperties` for creation. */
export const MarketingEventEmailSubscriber = t.type({
  email: t.string,
  interactionDateTime: t.number,
  properties: StringMap,
  contactProperties: StringMap,
})
/** An input of the email variants. */
export type MarketingEventEmailSubscriber = t.TypeOf<typeof MarketingEventEmailSubscriber>

/** An input of any variant: by vid or by email. */
export const SubscriberInput = t.union([MarketingEventSubscriber, MarketingEventEmailSubscriber])
/** An input of any variant. */
export type SubscriberInput = t.TypeOf<typeof SubscriberInput>

/** The request body of the vid variants (A, C, E): `{ inputs }`. */
export const VidAttendanceRequest = t.type({ inputs: t.array(MarketingEventSubscriber) })
/** The request body of the vid variants. */
export type VidAttendanceRequest = t.TypeOf<typeof VidAttendanceRequest>

/** The request body of the email variants (B, D, F): `{ inputs }`. */
export const EmailAttendanceRequest = t.type({ inputs: t.array(MarketingEventEmailSubscriber) })
/** The request body of the email variants. */
export type EmailAttendanceRequest = t.TypeOf<typeof EmailAttendanceRequest>
