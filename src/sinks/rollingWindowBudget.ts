/**
 * The request budget of one HubSpot account, as HubSpot counts it: at most `capacity` requests in any rolling
 * window of `windowMs` (10 s), plus an optional daily cap. Pure bookkeeping on timestamps the caller passes in;
 * waiting is the sink's job, so this runs the same in real, accelerated and virtual time.
 *
 * A request holds its slot from `take` (sent) until `windowMs` after `finish` (answered). HubSpot counts it at
 * arrival, somewhere between the two; counting from the answer means a slot is reused only once the request
 * has surely left HubSpot's window, however the latency varies. Counting from the send would let a slow
 * request and a fast successor land in one HubSpot window (a measured 101 in a window of 100).
 *
 * HubSpot counts per token across every process that uses it, so a consumer-group member takes `share` of the
 * account's allowance, and whatever HubSpot reports as remaining wins over our own count when it is lower
 * (another client is eating into the same allowance).
 *
 * The account's allowance is `requestsPerWindow` until a response carries `X-HubSpot-RateLimit-Max`; from then on
 * it is that maximum less `headroom` (rounded down to whole requests: 190 → 181 at 5 %), so a Pro account is used
 * as a Pro account without anyone configuring its tier. `ceiling`, when given, caps it whatever HubSpot says.
 */
export interface RollingWindowBudgetOptions {
  /** Requests per window for the whole account (all processes together) until HubSpot's headers tell. */
  readonly requestsPerWindow: number
  /** The most requests per window to use, whatever HubSpot allows (an explicit `requestsPer10s`). Default: none. */
  readonly ceiling?: number
  /**
   * The fraction of HubSpot's reported allowance left unused, for other clients of the token and for clock skew
   * between us and HubSpot. In [0, 0.5]; default 0.05. Rounded down to whole requests.
   */
  readonly headroom?: number
  readonly windowMs?: number
  /** This process's fraction of `requestsPerWindow` and `dailyLimit`, in (0, 1]. */
  readonly share?: number
  /** Requests per day for the whole account; no cap when absent. */
  readonly dailyLimit?: number
  /** When the daily allowance that is current at `now` resets (epoch ms). Default: next local midnight. */
  readonly dailyResetAt?: (now: number) => number
}

/** The rate-limit headers of one HubSpot response (`X-HubSpot-RateLimit-*`), already parsed. */
/** What HubSpot's rate-limit headers said after a response. */
export interface ObservedRateLimit {
  readonly max?: number
  readonly remaining?: number
  readonly intervalMs?: number
  readonly dailyRemaining?: number
}

/** Whether a request may go now, or until when it must wait and why. */
export type BudgetWait =
  | { readonly _tag: 'Go' }
  /** `until` is +Infinity when only an answer to a request in flight can free a slot. */
  | { readonly _tag: 'Wait'; readonly until: number; readonly reason: 'window' | 'blocked' | 'daily' }

/** The budget's state, for metrics. */
export interface BudgetSnapshot {
  readonly capacity: number
  /** Requests (ours in flight or answered, plus what HubSpot told us others used) in the current window. */
  readonly inUse: number
  readonly blockedUntil: number
  readonly dailyUsed: number
  readonly dailyBlockedUntil: number
}

/** HubSpot's rolling window: `X-HubSpot-RateLimit-Interval-Milliseconds` is 10,000. */
export const DEFAULT_WINDOW_MS = 10_000

/** The share of HubSpot's reported allowance left unused by default. */
export const DEFAULT_RATE_LIMIT_HEADROOM = 0.05

/** The next local midnight after `now`: HubSpot resets daily limits at midnight in the account's time zone. */
export const nextLocalMidnight = (now: number): number => {
  const d = new Date(now)
  d.setHours(24, 0, 0, 0)
  return d.getTime()
}

/**
 * The next midnight after `now` in an IANA time zone (`'America/New_York'`): HubSpot resets daily limits at
 * midnight in the account's time zone, which need not be the machine's. Daylight-saving days are 23 or 25
 * hours long, so the first guess is corrected by what the zone's wall clock then reads.
 */
export const nextMidnightIn =
  (timeZone: string) =>
  (now: number): number => {
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    const msIntoDay = (at: number): number => {
      const part = (type: string) => Number(format.formatToParts(at).find((p) => p.type === type)?.value ?? 0)
      return ((part('hour') * 60 + part('minute')) * 60 + part('second')) * 1_000 + (at % 1_000)
    }
    let midnight = now - msIntoDay(now) + 86_400_000
    for (let i = 0; i < 3; i++) {
      const off = msIntoDay(midnight)
      if (off === 0) break
      // Past midnight by `off` (a short day), or short of it by a day minus `off` (a long day).
      midnight += off < 43_200_000 ? -off : 86_400_000 - off
    }
    return midnight
  }

const validShare = (share: number): number => {
  if (!(share > 0 && share <= 1)) throw new RangeError(`share must be in (0, 1], got ${share}`)
  return share
}

/** One account's request budget: HubSpot's rolling window and daily allowance, times this process's share. */
export class RollingWindowBudget {
  private readonly requestsPerWindow: number
  private readonly ceiling: number
  private readonly headroom: number
  private readonly dailyLimit: number | undefined
  private readonly dailyResetAt: (now: number) => number
  private windowMs: number
  private share: number
  private hubspotMax: number | undefined
  /** Answer times (ascending) of requests still inside the window; includes phantom entries for foreign usage. */
  private readonly answered: number[] = []
  /** Send times (ascending) within the window, to tell which of our requests HubSpot had not yet counted. */
  private readonly sent: number[] = []
  private inFlight = 0
  private blockedUntil = 0
  private dailyUsed = 0
  private dailyPeriodEnd: number | undefined
  private dailyBlockedUntil = 0

  constructor(options: RollingWindowBudgetOptions) {
    if (!(options.requestsPerWindow >= 1)) {
      throw new RangeError(`requestsPerWindow must be ≥ 1, got ${options.requestsPerWindow}`)
    }
    this.requestsPerWindow = options.requestsPerWindow
    this.ceiling = options.ceiling ?? Number.POSITIVE_INFINITY
    if (!(this.ceiling >= 1)) throw new RangeError(`ceiling must be ≥ 1, got ${options.ceiling}`)
    this.headroom = options.headroom ?? DEFAULT_RATE_LIMIT_HEADROOM
    if (!(this.headroom >= 0 && this.headroom <= 0.5)) {
      throw new RangeError(`headroom must be in [0, 0.5], got ${options.headroom}`)
    }
    this.windowMs = options.windowMs ?? DEFAULT_WINDOW_MS
    this.share = validShare(options.share ?? 1)
    this.dailyLimit = options.dailyLimit
    this.dailyResetAt = options.dailyResetAt ?? nextLocalMidnight
  }

  /** Requests this process may have in one window. Never 0: a member with a tiny share still makes progress. */
  get capacity(): number {
    return Math.max(1, Math.floor(this.accountAllowance * this.share))
  }

  /** The whole account's requests per window as we use them: see the class comment. */
  get accountAllowance(): number {
    const max = this.hubspotMax
    if (max === undefined) return Math.min(this.requestsPerWindow, this.ceiling)
    return Math.min(this.ceiling, Math.max(1, max - Math.floor(max * this.headroom)))
  }

  /** How many requests `check` would let go at `now`, one after the other, before anything is answered. */
  freeAt(now: number): number {
    this.rollDailyPeriod(now)
    if (this.dailyBlockedUntil > now || this.blockedUntil > now) return 0
    this.prune(now)
    return Math.max(0, this.capacity - this.inFlight - this.answered.length)
  }

  /** This process's fraction of the allowances, in (0, 1]. */
  setShare(share: number): void {
    this.share = validShare(share)
  }

  /** Whether a request may go at `now`, or until when it must wait and why. */
  check(now: number): BudgetWait {
    this.rollDailyPeriod(now)
    if (this.dailyBlockedUntil > now) return { _tag: 'Wait', until: this.dailyBlockedUntil, reason: 'daily' }
    if (this.blockedUntil > now) return { _tag: 'Wait', until: this.blockedUntil, reason: 'blocked' }
    this.prune(now)
    const free = this.capacity - this.inFlight
    if (this.answered.length < free) return { _tag: 'Go' }
    if (free <= 0) return { _tag: 'Wait', until: Number.POSITIVE_INFINITY, reason: 'window' }
    // A slot frees when the entry that puts us over capacity leaves the window.
    const pivot = this.answered[this.answered.length - free] ?? now
    return { _tag: 'Wait', until: pivot + this.windowMs, reason: 'window' }
  }

  /** Counts a request sent at `now`. Call only after `check(now)` said Go; call `finish` when it is answered. */
  take(now: number): void {
    this.inFlight += 1
    insertSorted(this.sent, now)
    this.rollDailyPeriod(now)
    this.dailyUsed += 1
    const dailyCap = this.dailyCap
    if (dailyCap !== undefined && this.dailyUsed >= dailyCap) this.blockDaily(now)
  }

  /** The request taken earlier was answered (or given up on) at `now`: its slot ages out from here. */
  finish(now: number): void {
    this.inFlight = Math.max(0, this.inFlight - 1)
    insertSorted(this.answered, now)
  }

  /** Nothing goes to the account before `until` (a ten-secondly 429, Retry-After). */
  blockUntil(until: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, until)
  }

  /** The daily allowance is spent: nothing goes before the reset. Returns the reset time. */
  blockDaily(now: number): number {
    this.dailyBlockedUntil = Math.max(this.dailyBlockedUntil, this.dailyResetAt(now))
    return this.dailyBlockedUntil
  }

  /**
   * Takes in what HubSpot said in the response to a request sent at `sentAt`. HubSpot's `remaining` was counted
   * when that request arrived, so our sends after `sentAt` are not in it yet and are subtracted.
   */
  observe(headers: ObservedRateLimit, sentAt: number, now: number): void {
    if (headers.intervalMs !== undefined && headers.intervalMs > this.windowMs)
      this.windowMs = headers.intervalMs
    if (headers.max !== undefined && headers.max >= 1) this.hubspotMax = headers.max
    if (headers.dailyRemaining !== undefined && headers.dailyRemaining <= 0) this.blockDaily(now)
    if (headers.remaining === undefined) return
    this.prune(now)
    const ourRemaining = this.capacity - this.inFlight - this.answered.length
    const sentSince = this.sent.filter((t) => t > sentAt).length
    const hubspotRemaining = headers.remaining - sentSince
    // Others use the same token: pretend their excess was answered now, so it ages out like our own requests.
    for (let i = 0; i < ourRemaining - hubspotRemaining; i += 1) insertSorted(this.answered, now)
  }

  /** Requests counted against the window at `now`: in flight, answered within it, and others' use seen in headers. */
  inUse(now: number): number {
    this.prune(now)
    return this.inFlight + this.answered.length
  }

  /** The budget's state at `now`, for metrics. */
  snapshot(now: number): BudgetSnapshot {
    this.rollDailyPeriod(now)
    return {
      capacity: this.capacity,
      inUse: this.inUse(now),
      blockedUntil: this.blockedUntil,
      dailyUsed: this.dailyUsed,
      dailyBlockedUntil: this.dailyBlockedUntil,
    }
  }

  private get dailyCap(): number | undefined {
    return this.dailyLimit === undefined ? undefined : Math.max(1, Math.floor(this.dailyLimit * this.share))
  }

  private rollDailyPeriod(now: number): void {
    if (this.dailyPeriodEnd === undefined) this.dailyPeriodEnd = this.dailyResetAt(now)
    if (now < this.dailyPeriodEnd) return
    this.dailyUsed = 0
    this.dailyPeriodEnd = this.dailyResetAt(now)
  }

  private prune(now: number): void {
    dropUpTo(this.answered, now - this.windowMs)
    dropUpTo(this.sent, now - this.windowMs)
  }
}

const insertSorted = (xs: number[], at: number): void => {
  let i = xs.length
  while (i > 0 && (xs[i - 1] ?? 0) > at) i -= 1
  xs.splice(i, 0, at)
}

const dropUpTo = (xs: number[], limit: number): void => {
  let n = 0
  while (n < xs.length && (xs[n] ?? 0) <= limit) n += 1
  if (n > 0) xs.splice(0, n)
}
