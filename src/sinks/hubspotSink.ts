import { setMaxListeners } from 'node:events'
import { asyncScheduler, type Observable, type SchedulerLike, Subject, type Subscription } from 'rxjs'
import type { AttendanceBatch } from '../codecs/attendanceBatch.js'
import type { AttendanceRecord } from '../codecs/attendanceRecord.js'
import { contactIdentity } from '../codecs/attendanceRecord.js'
import { CONFIG_DEFAULTS } from '../config/defaults.js'
import { AttendanceStreamError } from '../errors.js'
import type { SendCapacity } from '../streams/batching/sendCapacity.js'
import { type Waiter, waitInLine } from './abortableWait.js'
import { backoffDelay } from './backoff.js'
import type { CallFailure, CallResult } from './hubspot/callResult.js'
import type { HubSpotClient } from './hubspot/client.js'
import {
  type Admission,
  type AnswerKind,
  type GateHealth,
  type GateTransition,
  OutageGate,
  type OutageGateOptions,
} from './outageGate.js'
import { RollingWindowBudget } from './rollingWindowBudget.js'
import { type RequestOutcome, SinkMetrics } from './sinkMetrics.js'
import type { Failed, Recorded, Rejected, SinkOutcome, SinkProblem } from './sinkOutcome.js'

/**
 * The HubSpot sink: sends a batch, and answers with one outcome per source record. Per account it keeps HubSpot's
 * rolling-window budget, caps requests in flight, retries what may succeed later, isolates poison inputs by
 * bisection, and never resends what HubSpot accepted. See docs/sink.md for the behaviour in full.
 */

export interface RetryOptions {
  /** First retry's jitter ceiling; doubles per retry. Default 500 ms (`CONFIG_DEFAULTS.retry`). */
  readonly baseDelayMs?: number
  /** Cap of the jitter ceiling. Default 30 s. */
  readonly maxDelayMs?: number
  /** Requests per chunk of inputs, the first included. Default 6. */
  readonly maxAttempts?: number
  /** No retry starts later than this after the chunk's first send. Default 5 minutes. */
  readonly maxElapsedMs?: number
}

/** Settings of {@link createHubSpotSink}. */
export interface HubSpotSinkOptions {
  /** One client for every batch, or one per `batch.key.account` (one token, hence one budget, each). */
  readonly client: HubSpotClient | Readonly<Record<string, HubSpotClient>>
  /**
   * The account's allowance per rolling 10 s, for all processes together. When given, it is also the ceiling,
   * whatever HubSpot allows. When absent the sink starts at 90 (90 % of the smallest tier) and, from the first
   * response on, follows `X-HubSpot-RateLimit-Max` less `rateLimitHeadroom`.
   */
  readonly requestsPer10s?: number
  /** The fraction of HubSpot's reported allowance left unused, in [0, 0.5]. Default 0.05. */
  readonly rateLimitHeadroom?: number
  /** The account's daily allowance, for all processes together. Default: none (HubSpot's DAILY 429 still stops us). */
  readonly dailyLimit?: number
  /** When the daily allowance resets, given the time it was spent. Default: next local midnight. */
  readonly dailyResetAt?: (now: number) => number
  /** This process's fraction of the allowances, in (0, 1]. Default 1. */
  readonly share?: number
  /** Default 4, per account. */
  readonly maxInFlightRequests?: number
  readonly retry?: RetryOptions
  /** 401/403: stop the stage (default) or turn the batch into `Rejected` outcomes. */
  readonly onConfigFault?: 'stop' | 'deadLetter'
  /** Daily allowance spent: batches wait for the reset (default) or end as `Failed` HUBSPOT_DAILY_LIMIT. */
  readonly onDailyLimit?: 'wait' | 'fail'
  readonly mode?: 'create' | 'upsert'
  /** Clock and timers. Default asyncScheduler. */
  readonly scheduler?: SchedulerLike
  /** Jitter source, in [0, 1). Default Math.random. */
  readonly random?: () => number
  /** HubSpot's window. Default 10 000 ms; a longer `X-HubSpot-RateLimit-Interval-Milliseconds` wins. */
  readonly windowMs?: number
  /**
   * The outage gate of each account (docs/sink.md, "Outages"): after `failuresToOpen` outage answers in a row
   * (5xx, timeouts, connection errors) the account's batches wait without spending attempts, while single probes
   * go out on a backoff capped at `probeMaxDelayMs`. `maxOutageMs` (default: none) fails the waiting batches
   * with HUBSPOT_OUTAGE once an outage has lasted that long.
   */
  readonly outage?: Omit<OutageGateOptions, 'scheduler' | 'random'>
  /** Called on every change of an account's gate (for one log line per transition). Must not throw. */
  readonly onGateTransition?: (transition: GateTransition) => void
  /** Where to count (several sinks, one per account, may share one). Default: a new one. */
  readonly metrics?: SinkMetrics
}

/** Sends batches to HubSpot within its limits; one outcome per source record. */
export interface HubSpotSink {
  /** Resolves with one outcome per `batch.records`, in that order; rejects only on infrastructure faults. */
  send(batch: AttendanceBatch, options?: { readonly signal?: AbortSignal }): Promise<SinkOutcome[]>
  /** Free slots per account, for batching that seals late (see {@link SendCapacity}). */
  readonly capacity: SendCapacity
  /** Each account's allowance per 10 s as this process uses it now (share and HubSpot's headers applied). */
  requestsPerWindow(): ReadonlyMap<string, number>
  /** This process's share of every account's allowance (consumer-group rebalances change it). */
  setShare(share: number): void
  readonly metrics: SinkMetrics
  /** Every change of any account's outage gate (down with its cause, up with the outage's length). */
  readonly gateTransitions: Observable<GateTransition>
  /** Each account's gate now, for /readyz and a gauge; accounts appear once they have sent a batch. */
  health(): readonly GateHealth[]
  /** Ends waits and timers; pending sends reject with SINK_CLOSED. The clients stay open: they are the caller's. */
  close(): Promise<void>
}

// The one table of defaults (src/config/defaults.ts): a sink built without a config behaves as one built from it.
const DEFAULTS = {
  requestsPer10s: CONFIG_DEFAULTS.hubspot.account.requestsPer10s,
  maxInFlightRequests: CONFIG_DEFAULTS.hubspot.account.maxInFlightRequests,
  ...CONFIG_DEFAULTS.retry,
} as const

/** The account a single client serves, in metrics. */
const SINGLE_ACCOUNT = 'default'

type Grant =
  | { readonly _tag: 'Go'; readonly sentAt: number }
  | { readonly _tag: 'Daily'; readonly until: number }

/** What happened to one input of the batch. */
type Verdict =
  | {
      readonly _tag: 'Recorded'
      readonly sentAt: number
      readonly completedAt: number
      readonly status: string
      readonly correlationId?: string
    }
  | { readonly _tag: 'Rejected'; readonly code: Rejected['code']; readonly problem: SinkProblem }
  | { readonly _tag: 'Failed'; readonly code: Failed['code']; readonly problem: SinkProblem }

const problemOf = (f: CallFailure, message = f.message): SinkProblem => ({
  message,
  details: f.details,
  ...(f.httpStatus === undefined ? {} : { httpStatus: f.httpStatus }),
  ...(f.category === undefined ? {} : { category: f.category }),
  ...(f.correlationId === undefined ? {} : { correlationId: f.correlationId }),
})

/** What each configuration fault is called, and how its message says it. */
const CONFIG_FAULTS = {
  unauthenticated: { code: 'HUBSPOT_UNAUTHENTICATED', what: 'did not accept the token' },
  missingScopes: { code: 'HUBSPOT_MISSING_SCOPES', what: 'says the token lacks a scope' },
  notFound: { code: 'HUBSPOT_UNKNOWN_ENDPOINT', what: 'has no such endpoint (check baseUrl and apiVersion)' },
} as const

/** How an answer counts for the outage gate: 5xx, timeouts and connection errors are the account's, not a batch's. */
// A 2xx that is a failure (status CANCELED) is an answer about the batch: HubSpot is up.
const answerKind = (result: CallResult): AnswerKind =>
  result._tag === 'failure' &&
  ((result.kind === 'server' && (result.httpStatus === undefined || result.httpStatus >= 500)) ||
    result.kind === 'timeout' ||
    (result.kind === 'network' && result.retryable))
    ? 'outage'
    : 'up'

/** The cause a gate transition names: the HTTP status (`503`), else the network error (`connect ECONNREFUSED …`). */
const causeOf = (result: CallResult): string => {
  if (result.httpStatus !== undefined) return String(result.httpStatus)
  if (result._tag === 'success') return 'success'
  return result.message.replace(/^HubSpot request failed(?: \([^)]*\))?: /, '').slice(0, 200)
}

const describeThrown = (error: unknown): string => {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  } catch {
    return 'an exception that cannot be shown'
  }
}

const closedError = (): AttendanceStreamError =>
  new AttendanceStreamError('SINK_CLOSED', 'the HubSpot sink was closed while a batch was in progress', {
    retryable: true,
  })

const abortReason = (signal: AbortSignal): unknown =>
  signal.reason ?? new AttendanceStreamError('SINK_CLOSED', 'the batch was cancelled', { retryable: true })

/** One HubSpot account (token): its budget, its in-flight cap, and the FIFO of requests waiting to go. */
class Account {
  readonly budget: RollingWindowBudget
  readonly gate: OutageGate
  inFlight = 0
  /** Batches handed to `send` that have not reached the slot queue yet (they may be waiting at the gate). */
  claims = 0
  /** Requests waiting at the outage gate (a batch's retries included, which hold no claim any more). */
  atGate = 0
  configFault: AttendanceStreamError | undefined
  private readonly queue: Waiter<Grant>[] = []
  private timer: Subscription | undefined
  /** Due when the window frees a slot that nobody is queued for, so late-sealing batching hears of it. */
  private freeTimer: { readonly at: number; readonly subscription: Subscription } | undefined

  constructor(
    readonly name: string,
    readonly client: HubSpotClient,
    private readonly maxInFlight: number,
    private readonly failOnDaily: boolean,
    private readonly scheduler: SchedulerLike,
    budget: RollingWindowBudget,
    gate: OutageGate,
    private readonly onCapacity: () => void,
  ) {
    this.budget = budget
    this.gate = gate
  }

  /** Resolves when a request may be sent: a slot is free and the budget allows it. FIFO, so no batch starves. */
  acquire(signal: AbortSignal): Promise<Grant> {
    return waitInLine(this.queue, signal, abortReason, () => this.pump()).catch((error: unknown) => {
      // A cancelled request left the line: the place it held is free for the batching to fill.
      this.onCapacity()
      throw error
    })
  }

  /** The request was answered (or abandoned) at `now`. */
  release(now: number): void {
    this.budget.finish(now)
    this.inFlight -= 1
    this.pump()
    this.onCapacity()
  }

  /** A claim ended without a request (a batch with nothing to send, cancelled, or given up at the gate). */
  dropClaim(): void {
    this.claims -= 1
    this.onCapacity()
  }

  /** Nothing new goes out before `until`; re-checks the queue then. */
  wake(): void {
    this.pump()
    this.onCapacity()
  }

  /** See {@link SendCapacity.available}. */
  available(): number {
    const waiting = this.claims + this.queue.length
    if (this.gate.isDown) return waiting + this.atGate === 0 ? 1 : 0
    const now = this.scheduler.now()
    const verdict = this.budget.check(now)
    // With onDailyLimit 'fail' a batch is answered at once: let one through to hear it.
    if (verdict._tag === 'Wait' && verdict.reason === 'daily' && this.failOnDaily)
      return waiting === 0 ? 1 : 0
    const budgetFree = this.budget.freeAt(now)
    const free = Math.min(this.maxInFlight - this.inFlight, budgetFree) - waiting
    if (free > 0) return free
    // Nobody may be queued to notice when the window moves on: be told then, to tell the batching.
    if (verdict._tag === 'Wait' && Number.isFinite(verdict.until)) this.notifyAt(verdict.until)
    return 0
  }

  get snapshotInFlight(): { inFlight: number; maxInFlight: number } {
    return { inFlight: this.inFlight, maxInFlight: this.maxInFlight }
  }

  close(): void {
    this.timer?.unsubscribe()
    this.timer = undefined
    this.freeTimer?.subscription.unsubscribe()
    this.freeTimer = undefined
    for (const w of this.queue.splice(0)) w.reject(closedError())
    this.gate.close(closedError())
  }

  private notifyAt(at: number): void {
    if (this.freeTimer !== undefined && this.freeTimer.at <= at) return
    this.freeTimer?.subscription.unsubscribe()
    const subscription = this.scheduler.schedule(
      () => {
        this.freeTimer = undefined
        this.onCapacity()
      },
      Math.max(0, at - this.scheduler.now()),
    )
    this.freeTimer = subscription.closed ? undefined : { at, subscription }
  }

  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const now = this.scheduler.now()
      const verdict = this.budget.check(now)
      if (verdict._tag === 'Go') {
        this.budget.take(now)
        this.inFlight += 1
        this.queue.shift()?.resolve({ _tag: 'Go', sentAt: now })
        continue
      }
      if (verdict.reason === 'daily' && this.failOnDaily) {
        for (const w of this.queue.splice(0)) w.resolve({ _tag: 'Daily', until: verdict.until })
        return
      }
      this.timer?.unsubscribe()
      this.timer = undefined
      // Only an answer can free a slot: release() pumps again then.
      if (verdict.until === Number.POSITIVE_INFINITY) return
      this.timer = this.scheduler.schedule(() => {
        this.timer = undefined
        this.pump()
      }, verdict.until - now)
      return
    }
  }
}

/** The HubSpot sink over one client, or one per account; see docs/sink.md. */
export function createHubSpotSink(options: HubSpotSinkOptions): HubSpotSink {
  const scheduler = options.scheduler ?? asyncScheduler
  const random = options.random ?? Math.random
  const retry = {
    baseDelayMs: options.retry?.baseDelayMs ?? DEFAULTS.baseDelayMs,
    maxDelayMs: options.retry?.maxDelayMs ?? DEFAULTS.maxDelayMs,
    maxAttempts: Math.max(1, options.retry?.maxAttempts ?? DEFAULTS.maxAttempts),
    maxElapsedMs: options.retry?.maxElapsedMs ?? DEFAULTS.maxElapsedMs,
  }
  const onConfigFault = options.onConfigFault ?? 'stop'
  const maxInFlight = Math.max(1, options.maxInFlightRequests ?? DEFAULTS.maxInFlightRequests)
  const metrics = options.metrics ?? new SinkMetrics()
  const accounts = new Map<string, Account>()
  const timers = new Set<Subscription>()
  const closing = new AbortController()
  const gateTransitions = new Subject<GateTransition>()
  const capacityChanges = new Subject<string>()
  let share = options.share ?? 1
  const single = 'recordAttendance' in options.client ? (options.client as HubSpotClient) : undefined
  const perAccount = single === undefined ? (options.client as Readonly<Record<string, HubSpotClient>>) : {}

  const accountFor = (name: string): Account => {
    const key = single === undefined ? name : SINGLE_ACCOUNT
    const existing = accounts.get(key)
    if (existing !== undefined) return existing
    const client = single ?? (Object.hasOwn(perAccount, key) ? perAccount[key] : undefined)
    if (client === undefined) {
      throw new AttendanceStreamError(
        'INVALID_CONFIG',
        `no HubSpot client is configured for account "${key}"`,
        {
          context: { account: key },
        },
      )
    }
    const budget = new RollingWindowBudget({
      requestsPerWindow: options.requestsPer10s ?? DEFAULTS.requestsPer10s,
      ...(options.requestsPer10s === undefined ? {} : { ceiling: options.requestsPer10s }),
      ...(options.rateLimitHeadroom === undefined ? {} : { headroom: options.rateLimitHeadroom }),
      share,
      ...(options.windowMs === undefined ? {} : { windowMs: options.windowMs }),
      ...(options.dailyLimit === undefined ? {} : { dailyLimit: options.dailyLimit }),
      ...(options.dailyResetAt === undefined ? {} : { dailyResetAt: options.dailyResetAt }),
    })
    const gate = new OutageGate(key, { ...options.outage, scheduler, random })
    gate.transitions.subscribe((transition) => {
      gateTransitions.next(transition)
      options.onGateTransition?.(transition)
      if (transition.state === 'up') capacityChanges.next(key)
    })
    const account = new Account(
      key,
      client,
      maxInFlight,
      options.onDailyLimit === 'fail',
      scheduler,
      budget,
      gate,
      () => capacityChanges.next(key),
    )
    accounts.set(key, account)
    metrics.registerBudget(key, () => ({ ...budget.snapshot(scheduler.now()), ...account.snapshotInFlight }))
    return account
  }

  const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(abortReason(signal))
      const onAbort = () => {
        timers.delete(timer)
        timer.unsubscribe()
        reject(abortReason(signal))
      }
      const timer = scheduler.schedule(() => {
        timers.delete(timer)
        signal.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      timers.add(timer)
      signal.addEventListener('abort', onAbort, { once: true })
    })

  const send = async (
    batch: AttendanceBatch,
    sendOptions?: { readonly signal?: AbortSignal },
  ): Promise<SinkOutcome[]> => {
    if (batch.records.length === 0) return []
    const signal = AbortSignal.any(
      sendOptions?.signal === undefined ? [closing.signal] : [closing.signal, sendOptions.signal],
    )
    // Every wait of the batch (bisection runs halves in parallel) listens on this signal: not a leak.
    setMaxListeners(0, signal)
    if (signal.aborted) throw abortReason(signal)
    const account = accountFor(batch.key.account)
    // The batch holds a claim on a slot from here until its first request is in the slot queue, so the
    // account's `available` already counts it while it waits at the gate.
    account.claims += 1
    let claimed = true
    try {
      const internal = (record: AttendanceRecord, message: string): Failed => ({
        _tag: 'Failed',
        record,
        batchId: batch.id,
        attempts: 0,
        code: 'INTERNAL',
        message,
        details: [],
      })
      if (batch.failure !== undefined) {
        const { message } = batch.failure
        return batch.records.map((record) => internal(record, message))
      }
      let recordInputs: (number | undefined)[]
      try {
        const inputIndex = new Map<string, number>()
        batch.inputs.forEach((input, i) => {
          const id = contactIdentity(input)
          if (!inputIndex.has(id)) inputIndex.set(id, i)
        })
        // The batching stage merges every record into an input; one without is a bug, answered per record below.
        recordInputs = batch.records.map((record) => inputIndex.get(contactIdentity(record.contact)))
      } catch (error) {
        const message = `mapping batch ${batch.id} to its inputs threw: ${describeThrown(error)}`
        return batch.records.map((record) => internal(record, message))
      }
      const verdicts: (Verdict | undefined)[] = new Array(batch.inputs.length).fill(undefined)
      const attempts: number[] = new Array<number>(batch.inputs.length).fill(0)

      /** One request for `indices`, once the account's gate, slots and budget allow; never throws for an answer. */
      const call = async (
        indices: readonly number[],
      ): Promise<
        | { readonly _tag: 'Reply'; readonly result: CallResult; readonly sentAt: number }
        | { readonly _tag: 'Threw'; readonly message: string }
        | Extract<Grant, { _tag: 'Daily' }>
        | Extract<Admission, { _tag: 'GiveUp' }>
      > => {
        account.atGate += 1
        let admission: Admission
        try {
          admission = await account.gate.admit(signal)
        } finally {
          account.atGate -= 1
        }
        if (admission._tag === 'GiveUp') return admission
        let answered = false
        try {
          if (claimed) {
            // The claim becomes a place in the slot queue in the same step: `available` never counts it twice.
            claimed = false
            account.claims -= 1
          }
          const grant = await account.acquire(signal)
          if (grant._tag === 'Daily') return grant
          for (const i of indices) attempts[i] = (attempts[i] ?? 0) + 1
          try {
            if (account.configFault !== undefined) throw account.configFault
            let result: CallResult
            try {
              result = await account.client.recordAttendance(
                {
                  event: batch.key.event,
                  subscriberState: batch.key.subscriberState,
                  contactKind: batch.key.contactKind,
                  inputs: indices.map((i) => batch.inputs[i] as (typeof batch.inputs)[number]),
                  ...(options.mode === undefined ? {} : { mode: options.mode }),
                },
                { signal },
              )
            } catch (error) {
              if (signal.aborted) throw abortReason(signal)
              // The client promises never to throw; if it does, these inputs get INTERNAL, not the whole stage.
              return { _tag: 'Threw', message: `the HubSpot client threw: ${describeThrown(error)}` }
            }
            if (signal.aborted) throw abortReason(signal)
            // Before the slot is released: the next request must already see what HubSpot said about this one.
            account.budget.observe(result.rateLimit, grant.sentAt, scheduler.now())
            account.gate.report(admission, answerKind(result), causeOf(result))
            answered = true
            return { _tag: 'Reply', result, sentAt: grant.sentAt }
          } finally {
            account.release(scheduler.now())
          }
        } finally {
          if (!answered) account.gate.abandon(admission)
        }
      }

      const settle = (indices: readonly number[], verdict: Verdict): void => {
        for (const i of indices) verdicts[i] = verdict
      }

      const configFault = (f: CallFailure): AttendanceStreamError => {
        const { code, what } = CONFIG_FAULTS[f.kind as keyof typeof CONFIG_FAULTS] ?? CONFIG_FAULTS.notFound
        // The client's message already names the status and category ("HubSpot 401 INVALID_AUTHENTICATION: …"):
        // say them once.
        const said = /^HubSpot (\d{3}\b.*)$/s.exec(f.message)
        const status = [f.httpStatus === undefined ? 'HTTP ?' : `HTTP ${f.httpStatus}`, f.category]
          .filter(Boolean)
          .join(' ')
        return new AttendanceStreamError(
          code,
          said === null
            ? `HubSpot ${what} of account "${account.name}" (${status}): ${f.message}`
            : `HubSpot ${what} of account "${account.name}": ${said[1]}`,
          {
            context: {
              account: account.name,
              httpStatus: f.httpStatus,
              category: f.category,
              correlationId: f.correlationId,
              details: f.details,
            },
          },
        )
      }

      /** Sends `indices` until each has a verdict: retries, splits on a whole-request 400, waits out limits. */
      const sendChunk = async (indices: readonly number[]): Promise<void> => {
        let failures = 0
        let firstSentAt: number | undefined
        for (;;) {
          const reply = await call(indices)
          if (reply._tag === 'GiveUp') {
            return settle(indices, {
              _tag: 'Failed',
              code: 'HUBSPOT_OUTAGE',
              problem: {
                message: `HubSpot account "${account.name}" has been unreachable for ${reply.downMs} ms (${reply.cause}), longer than maxOutageMs`,
                details: [],
              },
            })
          }
          if (reply._tag === 'Threw') {
            return settle(indices, {
              _tag: 'Failed',
              code: 'INTERNAL',
              problem: { message: reply.message, details: [] },
            })
          }
          if (reply._tag === 'Daily') {
            return settle(indices, {
              _tag: 'Failed',
              code: 'HUBSPOT_DAILY_LIMIT',
              problem: {
                message: `the daily HubSpot allowance of account "${account.name}" is spent until ${new Date(reply.until).toISOString()}`,
                details: [],
              },
            })
          }
          const { result, sentAt } = reply
          firstSentAt ??= sentAt
          const completedAt = scheduler.now()
          const latencyMs = completedAt - sentAt
          if (result._tag === 'success') {
            const outcome: RequestOutcome = result.rejected.length > 0 ? 'partial' : 'success'
            metrics.record({
              _tag: 'request',
              account: account.name,
              outcome,
              inputs: indices.length,
              latencyMs,
            })
            const recorded: Verdict = {
              _tag: 'Recorded',
              sentAt,
              completedAt,
              status: result.status,
              ...(result.correlationId === undefined ? {} : { correlationId: result.correlationId }),
            }
            for (const a of result.acceptedIndices) {
              const i = indices[a]
              if (i !== undefined) verdicts[i] = recorded
            }
            for (const r of result.rejected) {
              const i = indices[r.index]
              if (i === undefined) continue
              verdicts[i] = {
                _tag: 'Rejected',
                code: 'HUBSPOT_REJECTED',
                problem: {
                  message: r.message,
                  details: [r.message, ...(r.code === undefined ? [] : [`code: ${r.code}`])],
                  httpStatus: result.httpStatus,
                  ...(r.category === undefined ? {} : { category: r.category }),
                  ...(result.correlationId === undefined ? {} : { correlationId: result.correlationId }),
                },
              }
            }
            const unaccounted = indices.filter((i) => verdicts[i] === undefined)
            settle(unaccounted, {
              _tag: 'Rejected',
              code: 'HUBSPOT_BAD_RESPONSE',
              problem: {
                message: 'HubSpot answered the request without accepting or rejecting this input',
                details: [],
                httpStatus: result.httpStatus,
                ...(result.correlationId === undefined ? {} : { correlationId: result.correlationId }),
              },
            })
            return
          }
          metrics.record({
            _tag: 'request',
            account: account.name,
            outcome: result.kind,
            inputs: indices.length,
            latencyMs,
          })
          switch (result.kind) {
            case 'validation':
              // Without an HTTP status the client refused before sending (a call it cannot make), and a 400 that
              // blames the request (not an input) fails for every subset: splitting would only add 2n-2 400s.
              if (result.httpStatus === undefined || result.requestLevel === true) {
                return settle(indices, {
                  _tag: 'Rejected',
                  code: 'HUBSPOT_REJECTED',
                  problem: problemOf(result),
                })
              }
              return isolate(indices, result)
            case 'notFound':
            case 'unauthenticated':
            case 'missingScopes': {
              // OBJECT_NOT_FOUND is HubSpot's answer for an event it does not know: the input's fault. Any other
              // 404 means the path itself is unknown (a wrong baseUrl or API version): the configuration's fault.
              if (result.kind === 'notFound' && result.category === 'OBJECT_NOT_FOUND') {
                return settle(indices, {
                  _tag: 'Rejected',
                  code: 'HUBSPOT_REJECTED',
                  problem: problemOf(result),
                })
              }
              const fault = configFault(result)
              if (onConfigFault === 'stop') {
                account.configFault ??= fault
                throw fault
              }
              return settle(indices, {
                _tag: 'Rejected',
                code: fault.code as Rejected['code'],
                problem: problemOf(result),
              })
            }
            case 'badResponse':
              // A 2xx whose body was cut short is retryable (the write is idempotent); a wrong shape is not.
              if (result.retryable) break
              return settle(indices, {
                _tag: 'Rejected',
                code: 'HUBSPOT_BAD_RESPONSE',
                problem: problemOf(result),
              })
            case 'rateLimited':
              if (result.policy === 'DAILY') {
                metrics.record({ _tag: 'rateLimited', account: account.name, policy: 'DAILY' })
                account.budget.blockDaily(completedAt)
                account.wake()
                // maxElapsedMs bounds retrying, not the wait for the reset: the clock restarts at the next send,
                // or a single 5xx after midnight would exhaust a batch that waited a day.
                firstSentAt = undefined
                // With onDailyLimit 'wait' the next acquire waits for the reset; with 'fail' it answers Daily.
                continue
              }
              metrics.record({ _tag: 'rateLimited', account: account.name, policy: 'TEN_SECONDLY_ROLLING' })
              break
            default:
              if (result.kind === 'network' && !result.retryable) {
                // The client was closed under us: a shutdown, not something the records did.
                throw new AttendanceStreamError('SINK_CLOSED', result.message, {
                  retryable: true,
                  context: { account: account.name },
                })
              }
              if (!result.retryable) {
                return settle(indices, {
                  _tag: 'Rejected',
                  code: 'HUBSPOT_REJECTED',
                  problem: problemOf(result),
                })
              }
          }
          if (answerKind(result) === 'outage' && account.gate.isDown) {
            // The account is down, not this batch: wait at the gate, and start a fresh retry budget once it is back.
            // It is still a request sent again, so it counts as a retry.
            failures = 0
            firstSentAt = undefined
            metrics.record({ _tag: 'retry', account: account.name })
            continue
          }
          failures += 1
          const now = scheduler.now()
          const delay =
            result.kind === 'rateLimited'
              ? (result.retryAfterMs ??
                result.rateLimit.retryAfterMs ??
                result.rateLimit.intervalMs ??
                options.windowMs ??
                10_000)
              : // Contract §4: honour Retry-After when present (a 503 may carry one too); never retry sooner.
                Math.max(backoffDelay(failures, retry, random), result.rateLimit.retryAfterMs ?? 0)
          if (failures >= retry.maxAttempts || now + delay - firstSentAt > retry.maxElapsedMs) {
            return settle(indices, {
              _tag: 'Failed',
              code: 'HUBSPOT_RETRIES_EXHAUSTED',
              problem: problemOf(
                result,
                `gave up after ${failures} attempt${failures === 1 ? '' : 's'} in ${now - firstSentAt} ms: ${result.message}`,
              ),
            })
          }
          metrics.record({ _tag: 'retry', account: account.name })
          if (result.kind === 'rateLimited') {
            // HubSpot counts the whole token: nothing of this account goes before the window has passed.
            account.budget.blockUntil(now + delay)
            account.wake()
          } else {
            await sleep(delay, signal)
          }
        }
      }

      /**
       * A whole-request 400: reject the inputs HubSpot named and resend the rest; if it named none, bisect, so each
       * bad input costs about 2·log2(n) extra requests and every good one still gets through.
       */
      const isolate = async (indices: readonly number[], failure: CallFailure): Promise<void> => {
        const named = new Map<number, string>()
        for (const r of failure.rejected ?? []) {
          const i = indices[r.index]
          if (i !== undefined) named.set(i, r.message)
        }
        if (indices.length === 1 || named.size === indices.length) {
          return settle(indices, { _tag: 'Rejected', code: 'HUBSPOT_REJECTED', problem: problemOf(failure) })
        }
        metrics.record({ _tag: 'split', account: account.name })
        if (named.size > 0) {
          for (const [i, message] of named) {
            verdicts[i] = { _tag: 'Rejected', code: 'HUBSPOT_REJECTED', problem: problemOf(failure, message) }
          }
          return sendChunk(indices.filter((i) => !named.has(i)))
        }
        const half = Math.ceil(indices.length / 2)
        await Promise.all([sendChunk(indices.slice(0, half)), sendChunk(indices.slice(half))])
      }

      await sendChunk(batch.inputs.map((_, i) => i))

      return batch.records.map((record, r): SinkOutcome => {
        const i = recordInputs[r]
        if (i === undefined) {
          metrics.record({ _tag: 'outcome', account: account.name, outcome: 'Failed' })
          return internal(record, `batch ${batch.id} has a record whose contact has no input`)
        }
        const verdict = verdicts[i] as Verdict
        const tries = attempts[i] ?? 0
        metrics.record({ _tag: 'outcome', account: account.name, outcome: verdict._tag })
        if (verdict._tag === 'Recorded') {
          return {
            _tag: 'Recorded',
            record,
            batchId: batch.id,
            batchSize: batch.inputs.length,
            attempts: tries,
            sentAt: verdict.sentAt,
            completedAt: verdict.completedAt,
            hubspotStatus: verdict.status,
            ...(verdict.correlationId === undefined ? {} : { correlationId: verdict.correlationId }),
          } satisfies Recorded
        }
        return {
          _tag: verdict._tag,
          record,
          batchId: batch.id,
          attempts: tries,
          code: verdict.code,
          ...verdict.problem,
        } as Rejected | Failed
      })
    } finally {
      if (claimed) {
        claimed = false
        account.dropClaim()
      }
    }
  }

  const resolveAccount = (name: string): Account | undefined =>
    accounts.get(single === undefined ? name : SINGLE_ACCOUNT)

  return {
    send,
    capacity: {
      // An account not seen yet has its whole first window: let batches go, and learn its limits from them.
      available: (name) => resolveAccount(name)?.available() ?? maxInFlight,
      changes: capacityChanges.asObservable(),
    },
    requestsPerWindow: () => new Map([...accounts].map(([name, account]) => [name, account.budget.capacity])),
    setShare(next: number): void {
      if (!(next > 0 && next <= 1)) throw new RangeError(`share must be in (0, 1], got ${next}`)
      share = next
      for (const account of accounts.values()) {
        account.budget.setShare(next)
        account.wake()
      }
    },
    metrics,
    gateTransitions: gateTransitions.asObservable(),
    health: () => [...accounts.values()].map((account) => account.gate.health()),
    async close(): Promise<void> {
      closing.abort(closedError())
      for (const account of accounts.values()) account.close()
      gateTransitions.complete()
      capacityChanges.complete()
      for (const timer of timers) timer.unsubscribe()
      timers.clear()
    },
  }
}
