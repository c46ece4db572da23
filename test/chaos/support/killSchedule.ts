import { seededRandom } from '../../../src/testing/attendanceGenerator.js'

/** One `kill -9`: wait `afterMs` after the previous kill (or the start of the chaos), then kill `member`. */
export interface PlannedKill {
  readonly afterMs: number
  readonly member: number
}

/** When and whom the chaos kills. */
export interface KillScheduleOptions {
  /** Kills happen only in the first `windowMs` of the chaos. */
  readonly windowMs: number
  /** Each gap between kills is drawn uniformly from [minGapMs, maxGapMs]. */
  readonly minGapMs: number
  readonly maxGapMs: number
  readonly members: number
}

/**
 * The whole kill plan of a chaos run, decided up front from its seed, so that `CHAOS_SEED` replays the same kills
 * in the same order (what the members do in between is still up to the machine).
 */
export const killSchedule = (seed: number, options: KillScheduleOptions): PlannedKill[] => {
  const random = seededRandom(seed)
  const plan: PlannedKill[] = []
  let at = 0
  for (;;) {
    const afterMs = Math.round(options.minGapMs + random() * (options.maxGapMs - options.minGapMs))
    const member = Math.floor(random() * options.members)
    at += afterMs
    if (at > options.windowMs) return plan
    plan.push({ afterMs, member })
  }
}
