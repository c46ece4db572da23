import type { SubscriberState } from '../../codecs/attendanceRecord.js'

/** API versions: the legacy `v3` prefix, and the date-versioned ones HubSpot moves to (v3 retires ~2027-09). */
export type ApiVersion = 'v3' | '2026-03' | '2026-09'
/** Every supported API version. */
export const API_VERSIONS: readonly ApiVersion[] = ['v3', '2026-03', '2026-09']

/** The six operations of contract §1. */
export type Variant = 'A' | 'B' | 'C' | 'D' | 'E' | 'F'

export const pathPrefix = (version: ApiVersion): string =>
  version === 'v3' ? '/marketing/v3/marketing-events' : `/marketing/marketing-events/${version}`

export interface VariantTarget {
  readonly variant: Variant
  /** externalEventId for A, B, E, F; objectId for C, D. */
  readonly eventId: string
  readonly subscriberState: SubscriberState
  readonly externalAccountId?: string
}

// Every segment is encoded: externalEventId is user data and may contain '/', '?', '#' or spaces.
const enc = encodeURIComponent

/** Path and query of one call, relative to the base URL's path. */
export const variantPath = (version: ApiVersion, target: VariantTarget): string => {
  const p = pathPrefix(version)
  const id = enc(target.eventId)
  const state = enc(target.subscriberState)
  const query =
    target.externalAccountId === undefined ? '' : `?externalAccountId=${enc(target.externalAccountId)}`
  switch (target.variant) {
    case 'A':
      return `${p}/attendance/${id}/${state}/create${query}`
    case 'B':
      return `${p}/attendance/${id}/${state}/email-create${query}`
    case 'C':
      return `${p}/${id}/attendance/${state}/create`
    case 'D':
      return `${p}/${id}/attendance/${state}/email-create`
    case 'E':
      return `${p}/events/${id}/${state}/upsert${query}`
    case 'F':
      return `${p}/events/${id}/${state}/email-upsert${query}`
  }
}

export const isEmailVariant = (v: Variant): boolean => v === 'B' || v === 'D' || v === 'F'
export const isUpsertVariant = (v: Variant): boolean => v === 'E' || v === 'F'
