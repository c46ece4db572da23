import type { ApiVersion, Variant } from '../../sinks/hubspot/paths.js'

/** A request path taken apart. `eventId` is the externalEventId (A, B, E, F) or the objectId (C, D). */
export interface MatchedRoute {
  readonly version: ApiVersion
  readonly variant: Variant
  readonly eventId: string
  readonly subscriberState: string
}

const PREFIXES: readonly (readonly [string, ApiVersion])[] = [
  ['/marketing/v3/marketing-events/', 'v3'],
  ['/marketing/marketing-events/2026-03/', '2026-03'],
  ['/marketing/marketing-events/2026-09/', '2026-09'],
]

const decode = (s: string): string | undefined => {
  try {
    return decodeURIComponent(s)
  } catch {
    return undefined
  }
}

/** Splits on '/' before decoding, so an encoded '/' inside an externalEventId stays part of it. */
export const matchRoute = (pathname: string): MatchedRoute | undefined => {
  const prefix = PREFIXES.find(([p]) => pathname.startsWith(p))
  if (prefix === undefined) return undefined
  const raw = pathname.slice(prefix[0].length).split('/')
  if (raw.length !== 4) return undefined
  const seg = raw.map(decode)
  if (seg.some((s) => s === undefined || s === '')) return undefined
  const [a, b, c, d] = seg as [string, string, string, string]
  const version = prefix[1]
  if (a === 'attendance' && (d === 'create' || d === 'email-create'))
    return { version, variant: d === 'create' ? 'A' : 'B', eventId: b, subscriberState: c }
  if (b === 'attendance' && (d === 'create' || d === 'email-create'))
    return { version, variant: d === 'create' ? 'C' : 'D', eventId: a, subscriberState: c }
  if (a === 'events' && (d === 'upsert' || d === 'email-upsert'))
    return { version, variant: d === 'upsert' ? 'E' : 'F', eventId: b, subscriberState: c }
  return undefined
}

export const routeKey = (r: MatchedRoute | undefined): string =>
  r === undefined ? 'unmatched' : `${r.version}:${r.variant}`
