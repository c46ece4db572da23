import type { RateLimitHeaders } from './callResult.js'

type Headers = Record<string, string | string[] | undefined>

const first = (h: Headers, name: string): string | undefined => {
  const v = h[name]
  return Array.isArray(v) ? v[0] : v
}

const num = (h: Headers, name: string): number | undefined => {
  const v = first(h, name)
  if (v === undefined || v.trim() === '') return undefined
  const n = Number(v)
  return Number.isFinite(n) ? n : undefined
}

/** `Retry-After` is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export const parseRetryAfterMs = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined || value.trim() === '') return undefined
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000)
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/** Reads the rate-limit headers; undici gives header names in lower case. */
export const readRateLimitHeaders = (h: Headers, now: number = Date.now()): RateLimitHeaders => {
  const out: RateLimitHeaders = {}
  const max = num(h, 'x-hubspot-ratelimit-max')
  const remaining = num(h, 'x-hubspot-ratelimit-remaining')
  const intervalMs = num(h, 'x-hubspot-ratelimit-interval-milliseconds')
  const daily = num(h, 'x-hubspot-ratelimit-daily')
  const dailyRemaining = num(h, 'x-hubspot-ratelimit-daily-remaining')
  const retryAfterMs = parseRetryAfterMs(first(h, 'retry-after'), now)
  if (max !== undefined) out.max = max
  if (remaining !== undefined) out.remaining = remaining
  if (intervalMs !== undefined) out.intervalMs = intervalMs
  if (daily !== undefined) out.daily = daily
  if (dailyRemaining !== undefined) out.dailyRemaining = dailyRemaining
  if (retryAfterMs !== undefined) out.retryAfterMs = retryAfterMs
  return out
}
