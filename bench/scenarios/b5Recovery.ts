import { generateAttendance } from '../../src/testing/attendanceGenerator.js'
import { waitFor } from '../lib/benchKafka.js'
import { createBenchTopics } from '../lib/benchPipeline.js'
import { watchOutcomes } from '../lib/outcomeWatcher.js'
import type { Scenario, ScenarioContext, ScenarioResult } from '../lib/scenario.js'
import {
  auditGroup,
  duplicateOutcomeRecords,
  killRemaining,
  lastAssignment,
  type SpawnedMember,
  spawnMember,
  startGroupFixture,
} from '../lib/spawnMember.js'
import { measureScaleOut, type ScaleOutMeasurement } from './b5ScaleOut.js'

/**
 * B5: two members of one group as separate processes share a backlog; one is killed with SIGKILL (no leave-group,
 * no commit, no flush) once a quarter of the records have outcomes. A watcher reads the outcome topics as they are
 * written: recovery time is from the kill to the first outcome, written after the kill, of a record in a partition
 * the killed member owned. Duplicates are counted by auditOutcomes once the survivor has finished everything.
 * Then, on fresh topics, the scale-out rows (b5ScaleOut.ts): duplicates when a second member joins a busy one.
 */

const PARTITIONS = 6

/** The kill rows: recovery times and duplicates after kill -9 of one of two members. */
const measureKill = async (context: ScenarioContext): Promise<ScaleOutMeasurement> => {
  const n = context.smoke ? 6_000 : 100_000
  const sessionTimeoutMs = context.smoke ? 6_000 : 10_000
  const topics = await createBenchTopics(context.kafka, 'b5', PARTITIONS)
  const fixture = await startGroupFixture(context.kafka, topics, {
    requestsPer10s: 1_000_000,
    sessionTimeoutMs,
  })
  const { configPath } = fixture
  // Outcomes as they are written: their input's partition and the outcome's Kafka timestamp.
  const watcher = await watchOutcomes(context.kafka, 'b5', topics)
  const { seen, written } = watcher
  const members = [spawnMember(configPath), spawnMember(configPath)]
  context.log('B5: two members started')
  try {
    await waitFor(
      'both members own half the partitions',
      () => members.every((m) => lastAssignment(m)?.length === PARTITIONS / 2),
      90_000,
      20,
    )
    // Produced once both own their half, so that both have work when one is killed.
    await context.kafka.produce(
      topics.input,
      [...generateAttendance(n, { seed: 5, badShare: 0 })].map(({ key, value }) => ({ key, value })),
    )
    context.log(`B5: both members joined, ${n} records produced, ${seen.size} outcomes so far`)
    await waitFor('a quarter of the records have outcomes', () => seen.size >= n / 4, 300_000, 5)
    const [victim, survivor] = members as [SpawnedMember, SpawnedMember]
    const victimPartitions = new Set(lastAssignment(victim))
    const outcomesAtKill = seen.size
    const killAt = Date.now()
    victim.process.kill('SIGKILL')
    await victim.exited
    const reassignedAt = await waitFor(
      'the survivor owns every partition',
      () => lastAssignment(survivor)?.length === PARTITIONS,
      120_000,
      5,
    )
    const resumed = () => written.filter((w) => w.at > killAt && victimPartitions.has(w.partition))
    await waitFor('a killed member partition has an outcome again', () => resumed().length > 0, 120_000, 5)
    // The outcome's own Kafka timestamp, not when the watcher read it.
    const resumedAt = Math.min(...resumed().map((w) => w.at))
    await waitFor('every record has an outcome', () => seen.size >= n, 600_000, 20)
    survivor.process.kill('SIGTERM')
    await survivor.exited
    const audit = await auditGroup(context.kafka, topics)
    const recoveryMs = resumedAt - killAt
    return {
      setup: {
        records: n,
        partitions: PARTITIONS,
        members: 2,
        sessionTimeoutMs,
        commitIntervalMs: 1_000,
        simulatorLatency: 'exponential, mean 100 ms, max 300 ms',
        killedAfterOutcomes: outcomesAtKill,
      },
      rows: [
        { metric: 'kill → survivor owns every partition', value: reassignedAt - killAt, unit: 'ms' },
        { metric: 'kill → killed partitions processed again', value: recoveryMs, unit: 'ms' },
        { metric: 'inputs with more than one outcome', value: audit.duplicated.size, unit: 'inputs' },
        { metric: 'duplicate outcome records', value: duplicateOutcomeRecords(audit), unit: 'records' },
        {
          metric: 'inputs without an outcome',
          value: audit.missing.length,
          unit: 'inputs',
          target: '0',
          met: audit.missing.length === 0,
        },
      ],
      data: {
        killAt,
        reassignedAt,
        resumedAt,
        victimPartitions: [...victimPartitions],
        outcomes: audit.results + audit.errors,
      },
    }
  } finally {
    killRemaining(members)
    await watcher.stop()
    await fixture.close()
  }
}

export const b5Recovery: Scenario = {
  id: 'B5',
  title: 'Recovery after kill -9 of one of two members; duplicates per scale-out',
  run: async (context): Promise<ScenarioResult> => {
    const kill = await measureKill(context)
    const scaleOut = await measureScaleOut(context)
    return {
      id: 'B5',
      title: b5Recovery.title,
      setup: { ...kill.setup, scaleOut: scaleOut.setup },
      rows: [...kill.rows, ...scaleOut.rows],
      data: { ...kill.data, scaleOut: scaleOut.data },
    }
  },
}
