import { asyncScheduler, type Observable, type SchedulerLike, Subject, type Subscription } from 'rxjs'
import { type Waiter, waitInLine } from './abortableWait.js'
import { backoffCeiling } from './backoff.js'

/**
 * The outage gate of one HubSpot account (a circuit breaker). When the account's requests fail as a whole — 5xx,
 * timeouts, connection errors, several in a row with no answer of any other kind between them — the gate opens:
 * nothing more is sent for the account, and the batches that want to send wait at the gate without spending their
 * retry attempts (Kafka is the buffer; the pipeline's backpressure stops fetching). While open, one request at a
 * time goes out as a probe, on a capped backoff; the first answer that is not an outage closes the gate and every
 * waiting batch goes on.
 *
 * ```text
 * requests:  --ok--503--503--503------------p(503)------------------p(ok)--ok-ok-ok--
 * gate:      closed            open ▲ (cause 503)                     ▲ closed
 *                              batches wait here, their attempts untouched
 * ```
 *
 * Time comes from the scheduler only (probe delays, `since`, `maxOutageMs`).
 */

/** Settings of an {@link OutageGate}. */
export interface OutageGateOptions {
  /** Outage answers in a row (no other answer between them) that open the gate. Default 3. */
  readonly failuresToOpen?: number
  /** Ceiling of the first probe's delay; doubles per failed probe. Default 1,000 ms. */
  readonly probeBaseDelayMs?: number
  /** Cap of the probe delay. Default 30,000 ms. */
  readonly probeMaxDelayMs?: number
  /**
   * Longest an outage is waited out; after it, waiting and new sends of the account give up (`GiveUp`) until a
   * probe succeeds. Default: no limit (records are never failed because of an outage, however long).
   */
  readonly maxOutageMs?: number
  readonly scheduler?: SchedulerLike
  /** Jitter source, in [0, 1). Default Math.random. */
  readonly random?: () => number
}

/** `up`: sending; `down`: the gate is open, only probes go out. */
export type GateState = 'up' | 'down'

/** A change of an account's gate, for a log line, a metric and /readyz. */
export interface GateTransition {
  readonly account: string
  readonly state: GateState
  /** Scheduler time of the change. */
  readonly at: number
  /** What opened the gate (`503`, `connect ECONNREFUSED 127.0.0.1:1`), or what closed it (`recovered`). */
  readonly cause: string
  /** For `up`: how long the outage lasted, and how many probes were sent during it. */
  readonly outageMs?: number
  readonly probes?: number
}

/** An account's gate now. */
export interface GateHealth {
  readonly account: string
  readonly state: GateState
  /** Scheduler time the current state began (0 if it never changed). */
  readonly since: number
  /** While down: what opened the gate, then what the last probe got. */
  readonly cause?: string
  /** While down: probes sent in this outage. */
  readonly probes: number
  /** Requests waiting at the gate. */
  readonly waiting: number
}

/** What the gate says to a request that wants to go. */
export type Admission =
  | { readonly _tag: 'Go'; readonly probe: boolean }
  | { readonly _tag: 'GiveUp'; readonly downMs: number; readonly cause: string }

/** How an answer counts for the gate: `outage` (5xx, timeout, no connection), or `up` (any other answer). */
export type AnswerKind = 'up' | 'outage'

const DEFAULTS = { failuresToOpen: 3, probeBaseDelayMs: 1_000, probeMaxDelayMs: 30_000 } as const

/** The gate of one account; see the module comment. */
export class OutageGate {
  private state: GateState = 'up'
  private since = 0
  private cause: string | undefined
  private consecutiveOutages = 0
  private probes = 0
  private probeInFlight = false
  private probeDue = false
  private probeTimer: Subscription | undefined
  private giveUpTimer: Subscription | undefined
  private readonly queue: Waiter<Admission>[] = []
  private readonly transitions$ = new Subject<GateTransition>()
  private readonly failuresToOpen: number
  private readonly probeBackoff: { baseDelayMs: number; maxDelayMs: number }
  private readonly scheduler: SchedulerLike
  private readonly random: () => number

  /** Every change of state, as it happens. */
  readonly transitions: Observable<GateTransition> = this.transitions$.asObservable()

  constructor(
    readonly account: string,
    private readonly options: OutageGateOptions = {},
  ) {
    this.failuresToOpen = Math.max(1, options.failuresToOpen ?? DEFAULTS.failuresToOpen)
    this.probeBackoff = {
      baseDelayMs: options.probeBaseDelayMs ?? DEFAULTS.probeBaseDelayMs,
      maxDelayMs: options.probeMaxDelayMs ?? DEFAULTS.probeMaxDelayMs,
    }
    this.scheduler = options.scheduler ?? asyncScheduler
    this.random = options.random ?? Math.random
  }

  get isDown(): boolean {
    return this.state === 'down'
  }

  health(): GateHealth {
    return {
      account: this.account,
      state: this.state,
      since: this.since,
      ...(this.state === 'down' && this.cause !== undefined ? { cause: this.cause } : {}),
      probes: this.state === 'down' ? this.probes : 0,
      waiting: this.queue.length,
    }
  }

  /** Resolves when a request may go: at once while up; while down, when it is this request's turn to probe. */
  admit(signal: AbortSignal): Promise<Admission> {
    if (this.state === 'up') return Promise.resolve({ _tag: 'Go', probe: false })
    const givenUp = this.giveUpNow()
    if (givenUp !== undefined) {
      // Past maxOutageMs requests fail at once, but probes go on, or the account could never come back.
      return Promise.resolve(this.takeProbe() ? { _tag: 'Go', probe: true } : givenUp)
    }
    return waitInLine(
      this.queue,
      signal,
      (aborted) => aborted.reason,
      () => this.pump(),
    )
  }

  /** The answer to a request the gate admitted: an outage answer, or any other (the account is reachable). */
  report(admission: Admission, kind: AnswerKind, cause: string): void {
    const wasProbe = admission._tag === 'Go' && admission.probe
    if (wasProbe) this.probeInFlight = false
    if (kind === 'up') {
      this.consecutiveOutages = 0
      if (this.state === 'down') this.goUp()
      return
    }
    this.consecutiveOutages += 1
    if (this.state === 'up') {
      if (this.consecutiveOutages >= this.failuresToOpen) this.goDown(cause)
      return
    }
    this.cause = cause
    if (wasProbe) this.scheduleProbe()
  }

  /** A request the gate admitted got no answer (cancelled, or the client threw): a probe slot is free again. */
  abandon(admission: Admission): void {
    if (admission._tag !== 'Go' || !admission.probe) return
    this.probeInFlight = false
    if (this.state === 'down') this.scheduleProbe()
  }

  /** Ends the probe timer; waiting requests reject with `reason`. */
  close(reason: unknown): void {
    this.probeTimer?.unsubscribe()
    this.probeTimer = undefined
    this.giveUpTimer?.unsubscribe()
    this.giveUpTimer = undefined
    for (const w of this.queue.splice(0)) w.reject(reason)
    this.transitions$.complete()
  }

  private giveUpNow(): Admission | undefined {
    const limit = this.options.maxOutageMs
    if (limit === undefined || this.state !== 'down') return undefined
    const downMs = this.scheduler.now() - this.since
    return downMs >= limit ? { _tag: 'GiveUp', downMs, cause: this.cause ?? 'outage' } : undefined
  }

  private goDown(cause: string): void {
    this.state = 'down'
    this.since = this.scheduler.now()
    this.cause = cause
    this.probes = 0
    this.transitions$.next({ account: this.account, state: 'down', at: this.since, cause })
    this.scheduleProbe()
    this.armGiveUp()
  }

  private goUp(): void {
    const at = this.scheduler.now()
    const outageMs = at - this.since
    const probes = this.probes
    this.state = 'up'
    this.since = at
    this.cause = undefined
    this.probeDue = false
    this.probeTimer?.unsubscribe()
    this.probeTimer = undefined
    this.giveUpTimer?.unsubscribe()
    this.giveUpTimer = undefined
    this.transitions$.next({ account: this.account, state: 'up', at, cause: 'recovered', outageMs, probes })
    for (const w of this.queue.splice(0)) w.resolve({ _tag: 'Go', probe: false })
  }

  // Equal jitter: at least half the ceiling, so a long outage is probed about every 15-30 s, never in a burst.
  private scheduleProbe(): void {
    this.probeTimer?.unsubscribe()
    const ceiling = backoffCeiling(this.probes + 1, this.probeBackoff)
    const delay = Math.floor(ceiling / 2 + (this.random() * ceiling) / 2)
    this.probeDue = false
    this.probeTimer = this.scheduler.schedule(() => {
      this.probeTimer = undefined
      this.probeDue = true
      this.pump()
    }, delay)
  }

  // With maxOutageMs, waiters must learn they gave up even if no probe is due then.
  private armGiveUp(): void {
    const limit = this.options.maxOutageMs
    if (limit === undefined) return
    this.giveUpTimer?.unsubscribe()
    this.giveUpTimer = this.scheduler.schedule(() => {
      this.giveUpTimer = undefined
      this.pump()
    }, limit)
  }

  private takeProbe(): boolean {
    if (this.state !== 'down' || !this.probeDue || this.probeInFlight) return false
    this.probeDue = false
    this.probeInFlight = true
    this.probes += 1
    return true
  }

  private pump(): void {
    if (this.queue.length > 0 && this.takeProbe()) this.queue.shift()?.resolve({ _tag: 'Go', probe: true })
    const givenUp = this.giveUpNow()
    if (givenUp !== undefined) for (const w of this.queue.splice(0)) w.resolve(givenUp)
  }
}
