import {
  expectedParticipations,
  type GeneratedRecord,
  generateAttendance,
} from '../../../src/testing/attendanceGenerator.js'
import {
  auditOutcomes,
  committedOffsets,
  endOffsets,
  type OutcomeAudit,
} from '../../../src/testing/outcomeAudit.js'
import {
  type HubSpotSimulator,
  type HubSpotSimulatorOptions,
  startHubSpotSimulator,
} from '../../../src/testing/simulator/index.js'
import { testBrokers, withAdmin } from '../../support/kafka.js'
import { writeConfigFile } from '../../support/memberProcess.js'
import { simulatorParticipations } from '../../support/participations.js'
import { createPipelineTopics, type PipelineTopics, produceRecords } from '../../support/pipelineHarness.js'
import { MemberGroup, type MemberStop, type UnexpectedExit } from './memberGroup.js'
import { type OutcomeWatcher, watchOutcomes } from './outcomeWatcher.js'

/**
 * A run of CLI members in one group, shared by the chaos and scale-out tests. It starts with a backlog already on
 * the input topic and the simulator up; it ends by waiting (generously) until every input has an outcome and
 * every offset is committed, SIGTERMing everyone and reading back what Kafka and the simulator hold. The tests
 * judge no durations, except the one deadline the product promises: a stopped member exits within
 * `shutdownTimeoutMs`.
 */

/** The settings a test chooses for its members; the rest of their config is the same for every group test. */
export interface MemberSettings {
  readonly requestsPer10s: number
  readonly maxBatchSize: number
  readonly shutdownTimeoutMs: number
}

/** The CLI config of every member of a test group (the documented file format). */
const memberConfig = (
  topics: PipelineTopics,
  sim: HubSpotSimulator,
  settings: MemberSettings,
): Record<string, unknown> => ({
  kafka: {
    brokers: testBrokers(),
    groupId: topics.groupId,
    inputTopics: [topics.input],
    resultsTopic: topics.results,
    errorsTopic: topics.errors,
    // The broker's smallest allowed session: a killed member's partitions move on after 6 s, not 30.
    sessionTimeoutMs: 6_000,
  },
  hubspot: {
    accounts: {
      default: {
        token: sim.token,
        baseUrl: sim.url,
        requestsPer10s: settings.requestsPer10s,
        maxInFlightRequests: 2,
      },
    },
  },
  batching: { maxBatchSize: settings.maxBatchSize, maxWaitMs: 200 },
  // Enough attempts that the simulator's random 503s and a brief over-budget 429 never exhaust them: every valid
  // input must end as a result, so HubSpot's state can be checked against the inputs exactly.
  retry: { maxAttempts: 20, baseDelayMs: 100, maxDelayMs: 2_000 },
  // maxInFlightRecords stays at its default (10,000), as an operator runs it: a member fetches far ahead, so a
  // rebalance finds much unfinished work, which is what issue 12 is about.
  limits: { commitIntervalMs: 500, shutdownTimeoutMs: settings.shutdownTimeoutMs },
  log: { level: 'info' },
})

/** What a group test starts: its inputs (already produced), the simulator, and a watcher of the outcome topics. */
export interface GroupRun {
  readonly records: readonly GeneratedRecord[]
  readonly topics: PipelineTopics
  readonly sim: HubSpotSimulator
  readonly watcher: OutcomeWatcher
  /** No members yet: the test adds them (`group.add()`) when its scenario says. */
  readonly group: MemberGroup
  readonly settings: MemberSettings
  /** Kills what still runs and stops the watcher and the simulator; safe to call twice. */
  release(): Promise<void>
}

export interface GroupRunOptions {
  readonly records: number
  readonly seed: number
  readonly badShare: number
  readonly partitions: number
  readonly simulator: HubSpotSimulatorOptions
  readonly members: MemberSettings
}

export const startGroupRun = async (options: GroupRunOptions): Promise<GroupRun> => {
  const records = [...generateAttendance(options.records, { seed: options.seed, badShare: options.badShare })]
  const topics = await createPipelineTopics(options.partitions)
  await produceRecords(topics.input, records)
  const sim = await startHubSpotSimulator({ events: 'auto', contacts: 'auto', ...options.simulator })
  const group = new MemberGroup(writeConfigFile(memberConfig(topics, sim, options.members)))
  const watcher = await watchOutcomes([topics.results, topics.errors]).catch(async (error: unknown) => {
    await sim.stop()
    throw error
  })
  return {
    records,
    topics,
    sim,
    watcher,
    group,
    settings: options.members,
    release: async () => {
      await group.killAll()
      await watcher.stop()
      await sim.stop()
    },
  }
}

/** What a run left behind, and what is wrong with it. */
export interface RunOutcome {
  readonly inputs: number
  readonly malformed: number
  readonly audit: OutcomeAudit
  /** True when every input had an outcome before the deadline (the members were then stopped anyway). */
  readonly completed: boolean
  readonly completedAfterMs: number
  /** True when, besides, the group had committed every partition to its end before the deadline. */
  readonly settled: boolean
  readonly settledAfterMs: number
  readonly stops: readonly MemberStop[]
  /** Per member, how each of its processes ended. */
  readonly exitHistory: readonly string[]
  readonly unexpectedExits: readonly UnexpectedExit[]
  /** `topic/partition: committed C of end E` for every partition whose committed offset is not its end. */
  readonly uncommitted: readonly string[]
  /** Outcomes of the wrong kind: a valid input with an error record, a malformed one with a result. */
  readonly wrongKinds: readonly string[]
  readonly participations: ParticipationMismatches
  /** Warn and error log lines of every incarnation, by message. */
  readonly warnings: Readonly<Record<string, number>>
}

/** The simulator's state against what the inputs imply, per (event, contact). */
export interface ParticipationMismatches {
  readonly expected: number
  /** Implied by an input, absent in HubSpot. */
  readonly missing: readonly string[]
  /** In HubSpot, implied by no input. */
  readonly extra: readonly string[]
  /** HubSpot holds another state than the newest input's. */
  readonly wrongState: readonly string[]
  /** The right state, but another interactionDateTime than the newest input's. */
  readonly wrongTime: readonly string[]
}

/**
 * Waits until every input has an outcome and the group has committed everything (or `outcomeDeadlineMs` passed:
 * the members are then stopped anyway and the figures say what is missing), SIGTERMs every member, and reads back
 * what Kafka and the simulator hold.
 */
export const finishRun = async (
  run: GroupRun,
  options: {
    readonly outcomeDeadlineMs: number
    /** Added to `shutdownTimeoutMs` before a member that has not exited is killed. */
    readonly exitGraceMs: number
  },
): Promise<RunOutcome> => {
  const { topics, records, group, watcher } = run
  const startedWaiting = Date.now()
  const deadline = startedWaiting + options.outcomeDeadlineMs
  const completed = await waitFor(() => watcher.inputsWithOutcome() >= records.length, deadline - Date.now())
  const completedAfterMs = Date.now() - startedWaiting
  // Every input having an outcome is not the end of the work: a member may still be redoing what it fetched before
  // another member finished it (at least once). The group is done when it has committed every partition to its
  // end; a group that never gets there is stopped at the deadline all the same.
  let settled = completed
  while (settled && (await uncommittedPartitions(topics)).length > 0) {
    if (Date.now() > deadline) settled = false
    else await sleep(1_000)
  }
  const settledAfterMs = Date.now() - startedWaiting
  const stops = await group.stopAll(run.settings.shutdownTimeoutMs + options.exitGraceMs)
  await watcher.stop()
  const audit = await auditOutcomes({
    brokers: testBrokers(),
    inputTopics: [topics.input],
    resultsTopic: topics.results,
    errorsTopic: topics.errors,
  })
  const uncommitted = await uncommittedPartitions(topics)
  return {
    inputs: records.length,
    malformed: records.filter((r) => r.expected === undefined).length,
    audit,
    completed,
    completedAfterMs,
    settled,
    settledAfterMs,
    stops,
    exitHistory: group.exitHistory(),
    unexpectedExits: group.unexpectedExits(),
    uncommitted,
    wrongKinds: wrongKinds(audit, records),
    participations: participationMismatches(run.sim, records),
    warnings: warnings(group.output()),
  }
}

/** `topic/partition: committed C of end E` for every input partition the group has not committed to its end. */
const uncommittedPartitions = async (topics: PipelineTopics): Promise<string[]> => {
  const [committed, ends] = await withAdmin(async (admin) => [
    await committedOffsets(admin, topics.groupId, [topics.input]),
    await endOffsets(admin, [topics.input]),
  ])
  return [...ends]
    .filter(([topicPartition, end]) => committed.get(topicPartition) !== end)
    .map(
      ([topicPartition, end]) =>
        `${topicPartition}: committed ${committed.get(topicPartition)} of end ${end}`,
    )
}

/** Inputs with more than one outcome, and the outcome records beyond the first of each. */
export const duplicateFigures = (audit: OutcomeAudit) => ({
  inputsWithMoreThanOneOutcome: audit.duplicated.size,
  extraOutcomeRecords: [...audit.duplicated.values()].reduce((sum, n) => sum + n - 1, 0),
})

/** The run's figures as one block of `name: value` lines, for the test output and the report. */
export const printFigures = (title: string, figures: Readonly<Record<string, unknown>>): void => {
  const width = Math.max(...Object.keys(figures).map((k) => k.length))
  const lines = Object.entries(figures).map(
    ([name, value]) =>
      `  ${name.padEnd(width)}  ${typeof value === 'string' ? value : JSON.stringify(value)}`,
  )
  console.log(`── ${title}\n${lines.join('\n')}`)
}

/** The figures every group run reports. */
export const runFigures = (run: RunOutcome): Record<string, unknown> => {
  const { inputsWithMoreThanOneOutcome, extraOutcomeRecords } = duplicateFigures(run.audit)
  return {
    inputs: `${run.inputs} (${run.malformed} malformed)`,
    'outcome records': `${run.audit.results + run.audit.errors} (${run.audit.results} results, ${run.audit.errors} errors)`,
    'inputs without an outcome': run.audit.missing.length,
    'inputs with >1 outcome': `${inputsWithMoreThanOneOutcome} (${percent(inputsWithMoreThanOneOutcome, run.inputs)})`,
    'extra outcome records': extraOutcomeRecords,
    'every input had an outcome': run.completed
      ? `yes, ${run.completedAfterMs} ms after the wait began`
      : 'NO (stopped at the deadline)',
    'all committed before SIGTERM': run.settled
      ? `yes, ${run.settledAfterMs} ms after the wait began`
      : `NO (stopped after ${run.settledAfterMs} ms)`,
    'exits after SIGTERM': run.stops
      .map((s) => `member ${s.member}: ${s.exit} after ${s.afterMs} ms`)
      .join('; '),
    'exit codes per member (every process)': run.exitHistory.join('; '),
    'members that ended on their own': run.unexpectedExits
      .map((u) => `member ${u.member}: ${u.exit}`)
      .join('; '),
    'partitions not committed to the end': run.uncommitted.length === 0 ? 'none' : run.uncommitted.join('; '),
    'outcomes of the wrong kind': run.wrongKinds.length,
    'participations (expected / missing / extra / wrong state / wrong time)': [
      run.participations.expected,
      run.participations.missing.length,
      run.participations.extra.length,
      run.participations.wrongState.length,
      run.participations.wrongTime.length,
    ].join(' / '),
    'warn/error log lines': run.warnings,
  }
}

export const percent = (part: number, whole: number): string =>
  `${whole === 0 ? 0 : ((100 * part) / whole).toFixed(1)} %`

/** Polls every 200 ms; false when `timeoutMs` passed first. */
export const waitFor = async (condition: () => boolean, timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return true
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Every valid input gets results only (the simulator knows every event and contact, and retries cannot run
 * out), every malformed one decode errors only. Inputs are matched by their unique key (outcome `source.key`).
 */
const wrongKinds = (audit: OutcomeAudit, records: readonly GeneratedRecord[]): string[] => {
  const byKey = new Map(records.map((r) => [r.key, r]))
  const problems: string[] = []
  for (const { kind, record } of audit.entries) {
    const source = record['source'] as { key?: string; partition: number; offset: string }
    const input = source.key === undefined ? undefined : byKey.get(source.key)
    const where = `${source.key ?? '(no key)'} at ${source.partition}/${source.offset}`
    if (input === undefined) problems.push(`${where}: no such input`)
    else if (input.expected !== undefined && kind !== 'result')
      problems.push(`${where}: valid input ended as ${String(record['code'])}`)
    else if (input.expected === undefined && (kind !== 'error' || record['stage'] !== 'decode'))
      problems.push(`${where}: malformed input ended as a ${kind}`)
  }
  return problems
}

/**
 * HubSpot keeps, per (event, contact), the state with the newest interactionDateTime (contract §6), and the
 * generator gives every input its own time, so the state each must end in is that of its newest input, whatever
 * the batching, replays and kills did (records.md §2, revised 2026-12-02: a merged send carries the latest time).
 */
const participationMismatches = (
  sim: HubSpotSimulator,
  records: readonly GeneratedRecord[],
): ParticipationMismatches => {
  const expected = expectedParticipations(records)
  const actual = simulatorParticipations(sim)
  const missing: string[] = []
  const wrongState: string[] = []
  const wrongTime: string[] = []
  for (const [key, want] of expected) {
    const got = actual.get(key)
    const line = `${key}: want ${want.state}@${want.interactionDateTime}, HubSpot has ${got?.state}@${got?.interactionDateTime}`
    if (got === undefined) missing.push(line)
    else if (got.state !== want.state) wrongState.push(line)
    else if (got.interactionDateTime !== want.interactionDateTime) wrongTime.push(line)
  }
  const extra = [...actual.keys()].filter((key) => !expected.has(key))
  return { expected: expected.size, missing, extra, wrongState, wrongTime }
}

const warnings = (output: string): Record<string, number> => {
  const counts: Record<string, number> = {}
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue
    try {
      const { level, msg } = JSON.parse(line) as { level?: string; msg?: string }
      if (level === 'warn' || level === 'error') {
        const key = `${level}: ${msg}`
        counts[key] = (counts[key] ?? 0) + 1
      }
    } catch {
      // a line cut short by kill -9
    }
  }
  return counts
}
