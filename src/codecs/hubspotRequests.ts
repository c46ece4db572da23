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

export const MarketingEventEmailSubscriber = t.type({
  email: t.string,
  interactionDateTime: t.number,
  properties: StringMap,
  contactProperties: StringMap,
})
export type MarketingEventEmailSubscriber = t.TypeOf<typeof MarketingEventEmailSubscriber>

export const SubscriberInput = t.union([MarketingEventSubscriber, MarketingEventEmailSubscriber])
export type SubscriberInput = t.TypeOf<typeof SubscriberInput>

export const VidAttendanceRequest = t.type({ inputs: t.array(MarketingEventSubscriber) })
export type VidAttendanceRequest = t.TypeOf<typeof VidAttendanceRequest>

export const EmailAttendanceRequest = t.type({ inputs: t.array(MarketingEventEmailSubscriber) })
export type EmailAttendanceRequest = t.TypeOf<typeof EmailAttendanceRequest>
