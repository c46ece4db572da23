import { seededRandom } from '../../src/testing/attendanceGenerator.js'

/**
 * A realistic key mix for batching benchmarks: `events` events × the three subscriber states, the keys ranked by
 * a Zipf law (a few keynotes and the main entrance take most of the traffic, many side sessions a trickle). By
 * default every record names a new contact (vid), so no two records merge and inputs per request counts records;
 * with `hot`, a share of the records names one of a few hot contacts (staff, speakers scanning in and out), which
 * merge when they meet in one batch.
 */

export interface KeyShare {
  readonly eventId: string
  readonly state: 'register' | 'attend' | 'cancel'
  /** Share of the traffic, 0–1; the shares sum to 1. */
  readonly share: number
}

const STATES = ['attend', 'register', 'cancel'] as const

/** Keys by rank: rank r has weight 1 / (r + 1)^exponent. */
export const zipfKeyMix = (events = 50, exponent = 1): KeyShare[] => {
  const keys = events * STATES.length
  const weights = Array.from({ length: keys }, (_, r) => 1 / (r + 1) ** exponent)
  const total = weights.reduce((a, b) => a + b, 0)
  return weights.map((w, r) => ({
    eventId: `conf-2026-${Math.floor(r / STATES.length)}`,
    state: STATES[r % STATES.length] as KeyShare['state'],
    share: w / total,
  }))
}

export interface ZipfRecord {
  readonly key: string
  readonly value: string
}

/** Makes records of the mix, one per call, stamped `at` (epoch ms); seeded, so runs repeat. */
export const zipfRecordFactory = (
  mix: readonly KeyShare[],
  options: {
    readonly seed?: number
    readonly firstVid?: number
    /** `share` of the records (0–1) name one of `contacts` hot contacts, drawn uniformly. */
    readonly hot?: { readonly share: number; readonly contacts: number }
  } = {},
): ((at: number) => ZipfRecord) => {
  const random = seededRandom(options.seed ?? 1)
  const cumulative: number[] = []
  let sum = 0
  for (const { share } of mix) {
    sum += share
    cumulative.push(sum)
  }
  let vid = options.firstVid ?? 1_000_000
  let n = 0
  return (at) => {
    const roll = random() * sum
    let lo = 0
    let hi = cumulative.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((cumulative[mid] as number) < roll) lo = mid + 1
      else hi = mid
    }
    const { eventId, state } = mix[lo] as KeyShare
    vid++
    n++
    const hot = options.hot
    const contactVid =
      hot !== undefined && random() < hot.share ? 1 + Math.floor(random() * hot.contacts) : vid
    // Attendance arrives mostly as badge scans; registrations and cancellations only as check-ins.
    if (state === 'attend' && n % 3 !== 0) {
      const scanId = `zs-${vid}`
      const value = {
        type: 'badge.scanned',
        scanId,
        eventId,
        contact: { vid: contactVid },
        scannedAt: new Date(at).toISOString(),
        direction: 'in',
        scanner: { id: `gate-${n % 8}`, location: 'Hall A' },
      }
      return { key: scanId, value: JSON.stringify(value) }
    }
    const checkinId = `zc-${vid}`
    const value = {
      type: 'attendee.checkin',
      checkinId,
      eventId,
      state,
      contact: { vid: contactVid },
      occurredAt: at,
    }
    return { key: checkinId, value: JSON.stringify(value) }
  }
}

/**
 * The best inputs per request any batcher bounded by `maxBatchSize` and `maxWaitMs` can reach on this mix at
 * `ratePerSecond`: per key min(maxBatchSize, rate × share × maxWait) (at least 1: a request carries one input at
 * least), combined as total inputs / total requests = 1 / Σ share_k / best_k, the same ratio the pipeline's
 * inputs-per-request metric measures.
 */
export const bestInputsPerRequest = (
  mix: readonly KeyShare[],
  ratePerSecond: number,
  maxBatchSize: number,
  maxWaitMs: number,
): number => {
  let requestsPerInput = 0
  for (const { share } of mix) {
    const best = Math.max(1, Math.min(maxBatchSize, ratePerSecond * share * (maxWaitMs / 1000)))
    requestsPerInput += share / best
  }
  return 1 / requestsPerInput
}
