import { generateAttendance } from '../../src/testing/attendanceGenerator.js'
import { waitFor } from '../lib/benchKafka.js'
import { createBenchTopics } from '../lib/benchPipeline.js'
import { watchOutcomes } from '../lib/outcomeWatcher.js'
import type { ResultRow, ScenarioContext } from '../lib/scenario.js'
import {
  auditGroup,
  duplicateOutcomeRecords,
  killRemaining,
  lastAssignment,
  spawnMember,
  startGroupFixture,
} from '../lib/spawnMember.js'

/**
 * B5's scale-out rows (issue 12): one member works through a backlog alone; about 3 s after its first outcome a
 * second member of the group starts; nobody is killed. Every input should be done once: the partitions the first
 * member keeps must not be redone, and of those it gives away only what was still unfinished may be. Target:
 * inputs with more than one outcome ≤ 5 % of the inputs. HubSpot's budget sets the pace (100 requests per 10 s),
 * so the first member is still busy when the second one takes its partitions, on any machine.
 */

const PARTITIONS = 6
const JOIN_AFTER_MS = 3_000
const TARGET_SHARE = 0.05

export interface ScaleOutMeasurement {
  readonly setup: Readonly<Record<string, unknown>>
  readonly rows: readonly ResultRow[]
  readonly data: Readonly<Record<string, unknown>>
}

export const measureScaleOut = async (context: ScenarioContext): Promise<ScaleOutMeasurement> => {
  // Smoke: 1,000 inputs in requests of 8 (about 12 s alone); full: 20,000 in requests of 100 (about 20 s).
  const n = context.smoke ? 1_000 : 20_000
  const maxBatchSize = context.smoke ? 8 : 100
  const requestsPer10s = 100
  const topics = await createBenchTopics(context.kafka, 'b5-scale', PARTITIONS)
  await context.kafka.produce(
    topics.input,
    [...generateAttendance(n, { seed: 12, badShare: 0 })].map(({ key, value }) => ({ key, value })),
  )
  const fixture = await startGroupFixture(context.kafka, topics, {
    requestsPer10s,
    sessionTimeoutMs: 6_000,
    overrides: { batching: { maxBatchSize } },
  })
  const { configPath } = fixture
  const watcher = await watchOutcomes(context.kafka, 'b5-scale', topics)
  const first = spawnMember(configPath)
  const members = [first]
  try {
    await waitFor('the first member writes outcomes', () => watcher.seen.size > 0, 120_000, 20)
    await new Promise((resolve) => setTimeout(resolve, JOIN_AFTER_MS))
    const second = spawnMember(configPath)
    members.push(second)
    const outcomesAtJoin = watcher.seen.size
    await waitFor(
      'the second member owns partitions',
      () => (lastAssignment(second)?.length ?? 0) > 0,
      120_000,
      20,
    )
    const outcomesAtRebalance = watcher.seen.size
    context.log(
      `B5 scale-out: the second member owns partitions after ${outcomesAtRebalance} of ${n} outcomes`,
    )
    await waitFor('every record has an outcome', () => watcher.seen.size >= n, 600_000, 20)
    for (const m of members) m.process.kill('SIGTERM')
    await Promise.all(members.map((m) => m.exited))
    const audit = await auditGroup(context.kafka, topics)
    const duplicated = audit.duplicated.size
    const share = duplicated / n
    return {
      setup: {
        records: n,
        partitions: PARTITIONS,
        joinAfterFirstOutcomeMs: JOIN_AFTER_MS,
        requestsPer10s,
        maxBatchSize,
        outcomesWhenSecondOwnedPartitions: outcomesAtRebalance,
      },
      rows: [
        { metric: 'scale-out: inputs with more than one outcome', value: duplicated, unit: 'inputs' },
        {
          metric: 'scale-out: duplicated share of the inputs',
          value: Math.round(share * 1_000) / 10,
          unit: '%',
          target: `≤ ${TARGET_SHARE * 100}`,
          // Only meaningful when the second member took over while work was left: otherwise nothing could be redone.
          met: share <= TARGET_SHARE && outcomesAtRebalance < n,
        },
        {
          metric: 'scale-out: duplicate outcome records',
          value: duplicateOutcomeRecords(audit),
          unit: 'records',
        },
        {
          metric: 'scale-out: inputs without an outcome',
          value: audit.missing.length,
          unit: 'inputs',
          target: '0',
          met: audit.missing.length === 0,
        },
      ],
      data: { outcomesAtJoin, outcomesAtRebalance, outcomes: audit.results + audit.errors },
    }
  } finally {
    killRemaining(members)
    await watcher.stop()
    await fixture.close()
  }
}
