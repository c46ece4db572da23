import { maxInWindow } from './rateLimiter.js'

/** What the simulator saw of one token. */
export interface TokenCounters {
  /** Every request that carried this token, whatever its outcome. */
  readonly requests: number
  /** Requests the rate limiter counted against the window. */
  readonly counted: number
  readonly rateLimited: number
  /** Requests answered 401 EXPIRED_AUTHENTICATION: the token had expired when they arrived. */
  readonly expired: number
  /** The most requests carrying this token that arrived within any `intervalMs` window. */
  readonly maxInWindow: number
  /** Arrival times (simulator clock), ascending: feed them to `windowCounts` to check every window. */
  readonly arrivals: readonly number[]
}

/** Everything the simulator counted since it started: requests, statuses, faults, 429s, per token. */
export interface SimulatorCounters {
  readonly requests: number
  /** TCP connections accepted: a client with a keep-alive pool opens few. */
  readonly connections: number
  /** `'v3:A'`, `'2026-03:B'`, …, `'unmatched'` → status (`'200'`, `'429'`, `'reset'`, `'hang'`) → count. */
  readonly byRoute: Readonly<Record<string, Readonly<Record<string, number>>>>
  readonly byStatus: Readonly<Record<string, number>>
  /** Inputs written to the store (a repeat of an identical write counts again). */
  readonly inputsAccepted: number
  /** Inputs refused for their data (unknown vid, bad email), per-input or whole-request. */
  readonly inputsRejected: number
  readonly rateLimited: { readonly total: number; readonly tenSecondly: number; readonly daily: number }
  readonly faults: { readonly status: number; readonly reset: number; readonly hang: number }
  /** Requests whose handling threw (answered 500 `SIMULATOR_CRASH`): a simulator bug, never an injected fault. */
  readonly handlerCrashes: number
  readonly tokens: Readonly<Record<string, TokenCounters>>
}

const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b)

interface MutableToken {
  requests: number
  counted: number
  rateLimited: number
  expired: number
  arrivals: number[]
}

export class CounterBook {
  requests = 0
  connections = 0
  inputsAccepted = 0
  inputsRejected = 0
  handlerCrashes = 0
  readonly rateLimited = { total: 0, tenSecondly: 0, daily: 0 }
  readonly faults = { status: 0, reset: 0, hang: 0 }
  private readonly byRoute = new Map<string, Map<string, number>>()
  private readonly byStatus = new Map<string, number>()
  private readonly tokens = new Map<string, MutableToken>()

  constructor(private readonly intervalMs: number) {}

  outcome(route: string, status: string): void {
    const m = this.byRoute.get(route) ?? new Map<string, number>()
    this.byRoute.set(route, m)
    m.set(status, (m.get(status) ?? 0) + 1)
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1)
  }

  token(token: string): MutableToken {
    let t = this.tokens.get(token)
    if (t === undefined) {
      t = { requests: 0, counted: 0, rateLimited: 0, expired: 0, arrivals: [] }
      this.tokens.set(token, t)
    }
    return t
  }

  snapshot(): SimulatorCounters {
    const obj = (m: Map<string, number>): Record<string, number> => Object.fromEntries(m)
    return {
      requests: this.requests,
      connections: this.connections,
      byRoute: Object.fromEntries([...this.byRoute].map(([k, v]) => [k, obj(v)])),
      byStatus: obj(this.byStatus),
      inputsAccepted: this.inputsAccepted,
      inputsRejected: this.inputsRejected,
      rateLimited: { ...this.rateLimited },
      faults: { ...this.faults },
      handlerCrashes: this.handlerCrashes,
      tokens: Object.fromEntries(
        [...this.tokens].map(([k, t]) => [
          k,
          {
            ...t,
            arrivals: sorted(t.arrivals),
            maxInWindow: maxInWindow(sorted(t.arrivals), this.intervalMs),
          },
        ]),
      ),
    }
  }
}
