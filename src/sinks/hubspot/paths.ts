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

// A lone surrogate is not a Unicode scalar value: it has no UTF-8 form, so `encodeURIComponent` throws URIError.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

/**
 * Why `value` cannot be sent as one path segment, or undefined when it can. `.` and `..` are collapsed by every
 * URL parser on the way (and `%2e` counts as a dot, so no escaping helps): the request would reach another
 * resource. An empty segment would make `//`, which proxies merge.
 */
export const segmentProblem = (value: string): string | undefined => {
  if (value === '') return 'is empty'
  if (value === '.' || value === '..') return `is "${value}", which URL parsing removes from a path`
  if (LONE_SURROGATE.test(value)) return 'contains a lone surrogate, which has no UTF-8 form'
  return undefined
}

/** Why `value` cannot be sent as a query parameter value, or undefined when it can. */
export const queryValueProblem = (value: string): string | undefined =>
  LONE_SURROGATE.test(value) ? 'contains a lone surrogate, which has no UTF-8 form' : undefined

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
