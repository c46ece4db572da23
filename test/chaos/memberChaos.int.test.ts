import { randomInt } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import {
  finishRun,
  type GroupRun,
  printFigures,
  runFigures,
  sleep,
  startGroupRun,
  waitFor,
} from './support/groupRun.js'
import { killSchedule } from './support/killSchedule.js'

/**
 * Issue 12's chaos test, as an operator would run the service: three `attendance-stream run` members of one group
 * on a backlog with malformed records, a HubSpot with random 503s and a 100-per-10-s limit, and `kill -9` of a
 * random member every 2–4 s during the first seconds of work, each killed member started again at once. Then,
 * once every input has an outcome and the group has committed everything (waited for generously), SIGTERM to
 * all. It judges outcomes only: exit codes, outcome records, committed offsets and HubSpot's state. Duplicates
 * are allowed here (at least once) and only reported; the scale-out test bounds them.
 *
 * `npm test` runs the light variant once; `npm run chaos` (CHAOS=full) runs more records, a longer chaos and
 * several rounds. Every random choice (inputs, kills, the simulator's faults) comes from the printed seed:
 * `CHAOS_SEED=<seed>` replays it (`CHAOS_ROUNDS=<n>` changes the number of rounds).
 */

const VARIANTS = {
  light: { records: 5_000, chaosWindowMs: 15_000, rounds: 1, maxBatchSize: 40, outcomeDeadlineMs: 150_000 },
  full: { records: 20_000, chaosWindowMs: 45_000, rounds: 3, maxBatchSize: 50, outcomeDeadlineMs: 600_000 },
} as const
const variantName = process.env['CHAOS'] === 'full' ? 'full' : 'light'
const variant = VARIANTS[variantName]
const rounds = Number(process.env['CHAOS_ROUNDS'] ?? variant.rounds)
const baseSeed = Number(process.env['CHAOS_SEED'] ?? randomInt(1, 2 ** 31 - 1))
const MEMBERS = 3
// After SIGTERM a member drains for at most shutdownTimeoutMs, then commits and leaves the group: a few seconds
// more on a loaded 2-core machine are leaving, not hanging.
const EXIT_GRACE_MS = 5_000

describe(`chaos: ${MEMBERS} CLI members, kill -9 every 2–4 s (${variantName}, seed ${baseSeed})`, () => {
  let run: GroupRun | undefined
  afterEach(() => run?.release())

  for (let round = 0; round < rounds; round++) {
    const seed = baseSeed + round
    it(
      `round ${round + 1}/${rounds} (CHAOS_SEED=${seed}): every input gets an outcome, every offset is committed, HubSpot ends as the inputs imply`,
      async () => {
        const startedAt = Date.now()
        console.log(`chaos round ${round + 1}: seed ${seed} (replay with CHAOS_SEED=${seed} CHAOS_ROUNDS=1)`)
        run = await startGroupRun({
          records: variant.records,
          seed,
          badShare: 0.03,
          partitions: 6,
          simulator: {
            seed,
            rateLimit: { max: 100 },
            faults: { errorRate: 0.03, errorStatuses: [503], latency: { minMs: 10, maxMs: 60 } },
          },
          members: { requestsPer10s: 90, maxBatchSize: variant.maxBatchSize, shutdownTimeoutMs: 15_000 },
        })
        const { group, watcher, records, sim, settings } = run
        for (let i = 0; i < MEMBERS; i++) group.add()
        const working = await waitFor(() => watcher.inputsWithOutcome() > 0, 90_000)
        expect(working, 'the group wrote its first outcome').toBe(true)

        // The chaos: its clock starts with the first outcome, so the kills land on work in progress.
        const plan = killSchedule(seed, {
          windowMs: variant.chaosWindowMs,
          minGapMs: 2_000,
          maxGapMs: 4_000,
          members: MEMBERS,
        })
        const outcomesAtKills: number[] = []
        for (const { afterMs, member } of plan) {
          await sleep(afterMs)
          outcomesAtKills.push(watcher.inputsWithOutcome())
          await group.killAndRestart(member)
        }

        const outcome = await finishRun(run, {
          outcomeDeadlineMs: variant.outcomeDeadlineMs,
          exitGraceMs: EXIT_GRACE_MS,
        })
        printFigures(`chaos round ${round + 1} (${variantName}, seed ${seed})`, {
          ...runFigures(outcome),
          kills: `${group.kills} (members ${plan.map((k) => k.member).join(', ')}; inputs with an outcome at each: ${outcomesAtKills.join(', ')})`,
          'wall time': `${Date.now() - startedAt} ms`,
          'HubSpot requests': `${sim.counters().requests} (${sim.counters().faults.status} faulted, ${sim.counters().rateLimited.total} answered 429)`,
        })
        for (const u of outcome.unexpectedExits)
          console.log(`member ${u.member} ended on its own:\n${u.tail}`)

        // The chaos really hit work in progress: kills happened while inputs were still waiting.
        expect(plan.length).toBeGreaterThanOrEqual(3)
        expect(outcomesAtKills[0]).toBeLessThan(records.length)
        // Each member exits 0 within its shutdown deadline.
        for (const stop of outcome.stops) {
          expect.soft(stop.exit, `member ${stop.member}'s exit`).toBe(0)
          expect
            .soft(stop.afterMs, `member ${stop.member}'s exit time`)
            .toBeLessThanOrEqual(settings.shutdownTimeoutMs + EXIT_GRACE_MS)
        }
        expect.soft(outcome.unexpectedExits.map((u) => `member ${u.member}: ${u.exit}`)).toEqual([])
        // Every input has at least one outcome, of the right kind; nothing else was written.
        expect.soft(outcome.audit.missing.length, 'inputs without an outcome').toBe(0)
        expect.soft(outcome.audit.unexpected).toEqual([])
        expect.soft(outcome.wrongKinds.slice(0, 10)).toEqual([])
        // The group committed everything.
        expect.soft(outcome.uncommitted).toEqual([])
        // HubSpot holds, for every (event, contact), the state and time of its newest input.
        expect.soft(outcome.participations.missing.slice(0, 10)).toEqual([])
        expect.soft(outcome.participations.extra.slice(0, 10)).toEqual([])
        expect.soft(outcome.participations.wrongState.slice(0, 10)).toEqual([])
        expect.soft(outcome.participations.wrongTime.slice(0, 10)).toEqual([])
      },
      variant.outcomeDeadlineMs + 180_000,
    )
  }
})
