/**
 * HubSpot's two limits per token (contract §4): a rolling window (default 100 requests per 10 000 ms) and a
 * daily count that resets at midnight in the account's time zone.
 *
 * The window holds the timestamps of the requests it counted; one leaves when `now - t >= intervalMs`, so a
 * request at `t` and one at `t + intervalMs` are never in the same window. Requests answered 429 are not
 * counted unless `count429` is set: HubSpot does not document it, and not counting them lets a client that
 * overshoots recover as soon as the window rolls, which is the behaviour the sink is designed against.
 */

export interface RateLimitSettings {
  readonly max: number
  readonly intervalMs: number
  /** `null`: no daily limit (OAuth apps), and no `X-HubSpot-RateLimit-Daily*` headers. */
  readonly daily: number | null
  readonly count429: boolean
  /** Minutes east of UTC of the account's time zone, for the daily reset. */
  readonly utcOffsetMinutes: number
}

export type LimitDecision =
  | { readonly allowed: true; readonly headers: Record<string, string> }
  | {
      readonly allowed: false
      readonly policy: 'TEN_SECONDLY_ROLLING' | 'DAILY'
      readonly retryAfterMs: number
      readonly headers: Record<string, string>
    }

const DAY_MS = 86_400_000

export class TokenRateLimiter {
  private readonly window: number[] = []
  private day = Number.NaN
  private dailyCount = 0

  constructor(readonly settings: RateLimitSettings) {}

  private dayOf(now: number): number {
    return Math.floor((now + this.settings.utcOffsetMinutes * 60_000) / DAY_MS)
  }

  private roll(now: number): void {
    const from = now - this.settings.intervalMs
    while (this.window.length > 0 && (this.window[0] as number) <= from) this.window.shift()
    const day = this.dayOf(now)
    if (day !== this.day) {
      this.day = day
      this.dailyCount = 0
    }
  }

  private headers(): Record<string, string> {
    const s = this.settings
    const h: Record<string, string> = {
      'X-HubSpot-RateLimit-Max': String(s.max),
      'X-HubSpot-RateLimit-Remaining': String(Math.max(0, s.max - this.window.length)),
      'X-HubSpot-RateLimit-Interval-Milliseconds': String(s.intervalMs),
    }
    if (s.daily !== null) {
      h['X-HubSpot-RateLimit-Daily'] = String(s.daily)
      h['X-HubSpot-RateLimit-Daily-Remaining'] = String(Math.max(0, s.daily - this.dailyCount))
    }
    return h
  }

  /** The headers as they stand, without counting a request (for 401s and injected faults). */
  peek(now: number): Record<string, string> {
    this.roll(now)
    return this.headers()
  }

  /** Counts one request at `now`, or refuses it. */
  take(now: number): LimitDecision {
    this.roll(now)
    const s = this.settings
    if (s.daily !== null && this.dailyCount >= s.daily) {
      if (s.count429) this.window.push(now)
      const nextMidnight = (this.dayOf(now) + 1) * DAY_MS - s.utcOffsetMinutes * 60_000
      return { allowed: false, policy: 'DAILY', retryAfterMs: nextMidnight - now, headers: this.headers() }
    }
    if (this.window.length >= s.max) {
      const oldest = this.window[0] as number
      if (s.count429) {
        this.window.push(now)
        this.dailyCount++
      }
      return {
        allowed: false,
        policy: 'TEN_SECONDLY_ROLLING',
        retryAfterMs: oldest + s.intervalMs - now,
        headers: this.headers(),
      }
    }
    this.window.push(now)
    this.dailyCount++
    return { allowed: true, headers: this.headers() }
  }
}

/** For every arrival, how many arrivals fall in the `intervalMs` window ending at it (times ascending). */
export const windowCounts = (arrivals: readonly number[], intervalMs: number): number[] => {
  const out: number[] = []
  let start = 0
  for (let i = 0; i < arrivals.length; i++) {
    const t = arrivals[i] as number
    while ((arrivals[start] as number) <= t - intervalMs) start++
    out.push(i - start + 1)
  }
  return out
}

/** The most arrivals within any window of `intervalMs` (arrivals ascending). */
export const maxInWindow = (arrivals: readonly number[], intervalMs: number): number =>
  windowCounts(arrivals, intervalMs).reduce((m, n) => Math.max(m, n), 0)
