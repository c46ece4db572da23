import { CONFIG_DEFAULTS } from '../config/defaults.js'

/**
 * Exponential backoff with full jitter: the delay before retry `attempt` (1 for the first retry) is uniform in
 * [0, min(maxDelayMs, baseDelayMs × 2^(attempt-1))). Full jitter spreads the retries of many clients that failed
 * together (an outage that ends) instead of sending them back in lockstep; see the AWS Architecture Blog,
 * "Exponential Backoff and Jitter".
 */
export interface BackoffOptions {
  readonly baseDelayMs: number
  readonly maxDelayMs: number
}

/** From the one table of defaults (`CONFIG_DEFAULTS.retry`): 500 ms, capped at 30 s. */
export const DEFAULT_BACKOFF: BackoffOptions = {
  baseDelayMs: CONFIG_DEFAULTS.retry.baseDelayMs,
  maxDelayMs: CONFIG_DEFAULTS.retry.maxDelayMs,
}

/** The ceiling of the jittered delay before retry `attempt` (≥ 1). */
export const backoffCeiling = (attempt: number, options: BackoffOptions): number => {
  const exponent = Math.max(0, attempt - 1)
  // 2^exponent overflows to Infinity long after maxDelayMs caps it; min() keeps the result finite.
  return Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** exponent)
}

/** `random` returns a number in [0, 1), like Math.random; it is injected so tests can pin the jitter. */
export const backoffDelay = (
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number => Math.floor(random() * backoffCeiling(attempt, options))
