import { type Random, seededRandom } from './prng.js'

/**
 * Injected trouble, decided per request in arrival order, so a seed replays the same faults for the same
 * sequence of requests. Faults strike before authentication and rate limiting (as a load balancer or a
 * failing front end would), so a faulted request does not use up the token's window.
 */

/** One scripted step: `'none'`, a status (500, 502, 503, 504, …), a reset, a hang, or an added delay. */
export type FaultStep =
  | 'none'
  | 'reset'
  | 'hang'
  | { readonly status: number; readonly retryAfterSeconds?: number }
  | { readonly delayMs: number }

/** Added latency: fixed, uniform between bounds, or exponential with a mean. */
export type LatencySpec =
  | { readonly fixedMs: number }
  | { readonly minMs: number; readonly maxMs: number }
  /** Exponential with this mean, capped at `maxMs` (default 10 × mean). */
  | { readonly meanMs: number; readonly maxMs?: number }

/** The trouble the simulator injects: a script of first answers, then random errors, resets, hangs, latency. */
export interface FaultPlan {
  /** Consumed one step per request, in order, before any random fault is drawn. */
  readonly script?: readonly FaultStep[]
  /** Probability (0–1) of answering with one of `errorStatuses`. */
  readonly errorRate?: number
  /** Default [500, 502, 503]. */
  readonly errorStatuses?: readonly number[]
  readonly resetRate?: number
  readonly hangRate?: number
  /** Added before every request that is not reset or hung. */
  readonly latency?: LatencySpec
  /** Reseeds the fault PRNG; default: the simulator's seed. */
  readonly seed?: number
}

/** What the fault injector decided for one request. */
export type FaultDecision =
  | { readonly kind: 'none'; readonly delayMs: number }
  | {
      readonly kind: 'status'
      readonly status: number
      readonly retryAfterSeconds?: number
      readonly delayMs: number
    }
  | { readonly kind: 'reset' }
  | { readonly kind: 'hang' }

export class FaultInjector {
  private plan: FaultPlan = {}
  private script: FaultStep[] = []
  private random: Random

  constructor(private readonly seed: number) {
    this.random = seededRandom(seed)
  }

  set(plan: FaultPlan): void {
    this.plan = plan
    this.script = [...(plan.script ?? [])]
    this.random = seededRandom(plan.seed ?? this.seed)
  }

  /** Steps of the script not yet consumed. */
  get pendingScript(): number {
    return this.script.length
  }

  private latency(): number {
    const l = this.plan.latency
    if (l === undefined) return 0
    if ('fixedMs' in l) return l.fixedMs
    if ('minMs' in l) return l.minMs + this.random() * (l.maxMs - l.minMs)
    const cap = l.maxMs ?? l.meanMs * 10
    return Math.min(cap, -Math.log(1 - this.random()) * l.meanMs)
  }

  next(): FaultDecision {
    const step = this.script.shift()
    if (step !== undefined) {
      if (step === 'none') return { kind: 'none', delayMs: this.latency() }
      if (step === 'reset' || step === 'hang') return { kind: step }
      if ('delayMs' in step) return { kind: 'none', delayMs: step.delayMs }
      return {
        kind: 'status',
        status: step.status,
        delayMs: this.latency(),
        ...(step.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: step.retryAfterSeconds }),
      }
    }
    const p = this.plan
    // One draw per kind, always in the same order, so changing one rate does not shift the others' sequence.
    const e = this.random()
    const r = this.random()
    const h = this.random()
    if ((p.resetRate ?? 0) > r) return { kind: 'reset' }
    if ((p.hangRate ?? 0) > h) return { kind: 'hang' }
    if ((p.errorRate ?? 0) > e) {
      const statuses = p.errorStatuses ?? [500, 502, 503]
      const status = statuses[Math.floor(this.random() * statuses.length)] ?? 500
      return { kind: 'status', status, delayMs: this.latency() }
    }
    return { kind: 'none', delayMs: this.latency() }
  }
}
