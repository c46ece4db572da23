import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { generateAttendance } from '../../src/testing/attendanceGenerator.js'
import { auditOutcomes } from '../../src/testing/outcomeAudit.js'
import { startHubSpotSimulator } from '../../src/testing/simulator/index.js'
import { uniqueName, waitFor } from '../lib/benchKafka.js'
import { createBenchTopics } from '../lib/benchPipeline.js'
import type { MemberReport } from '../lib/memberProcess.js'
import type { Scenario, ScenarioResult } from '../lib/scenario.js'

/**
 * B5: two members of one group as separate processes share a backlog; one is killed with SIGKILL (no leave-group,
 * no commit, no flush) once a quarter of the records have outcomes. A watcher reads the outcome topics as they are
 * written: recovery time is from the kill to the first outcome, written after the kill, of a record in a partition
 * the killed member owned. Duplicates are counted by auditOutcomes once the survivor has finished everything.
 */

const PARTITIONS = 6

interface Member {
  readonly process: ChildProcess
  readonly reports: MemberReport[]
  readonly exited: Promise<number | null>
}

const startMember = (configPath: string): Member => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/lib/memberProcess.ts', configPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const reports: MemberReport[] = []
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    try {
      reports.push(JSON.parse(line) as MemberReport)
    } catch {
      // not a report line
    }
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { process: child, reports, exited }
}

const lastAssignment = (member: Member): readonly number[] | undefined =>
  member.reports.filter((r) => r.type === 'assigned').at(-1)?.partitions

export const b5Recovery: Scenario = {
  id: 'B5',
  title: 'Recovery after kill -9 of one of two members',
  run: async (context): Promise<ScenarioResult> => {
    const n = context.smoke ? 6_000 : 100_000
    const sessionTimeoutMs = context.smoke ? 6_000 : 10_000
    const topics = await createBenchTopics(context.kafka, 'b5', PARTITIONS)
    // HubSpot's latency slows the group down enough that the kill lands mid-stream.
    const sim = await startHubSpotSimulator({
      events: 'auto',
      contacts: 'auto',
      rateLimit: { max: 1_000_000, daily: null },
      faults: { latency: { meanMs: 100, maxMs: 300 } },
    })
    const dir = mkdtempSync(join(tmpdir(), 'bench-b5-'))
    const configPath = join(dir, 'config.json')
    writeFileSync(
      configPath,
      JSON.stringify({
        kafka: {
          brokers: [...context.kafka.brokers],
          groupId: topics.groupId,
          inputTopics: [topics.input],
          resultsTopic: topics.results,
          errorsTopic: topics.errors,
          sessionTimeoutMs,
        },
        hubspot: { accounts: { default: { token: sim.token, baseUrl: sim.url, requestsPer10s: 1_000_000 } } },
        log: { level: 'warn' },
      }),
    )
    // Outcomes as they are written: their input's partition and the outcome's Kafka timestamp.
    const seen = new Set<string>()
    const written: { partition: number; at: number }[] = []
    const watcher = context.kafka.client().consumer({ groupId: uniqueName('b5-watch'), maxWaitTimeInMs: 100 })
    await watcher.connect()
    await watcher.subscribe({ topics: [topics.results, topics.errors], fromBeginning: true })
    await watcher.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const source = (
            JSON.parse(message.value?.toString() ?? '{}') as { source: { partition: number; offset: string } }
          ).source
          seen.add(`${source.partition}/${source.offset}`)
          written.push({ partition: source.partition, at: Number(message.timestamp) })
        }
      },
    })
    const members = [startMember(configPath), startMember(configPath)]
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
      const [victim, survivor] = members as [Member, Member]
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
      const audit = await auditOutcomes({
        brokers: [...context.kafka.brokers],
        inputTopics: [topics.input],
        resultsTopic: topics.results,
        errorsTopic: topics.errors,
        timeoutMs: 300_000,
      })
      const duplicateRecords = [...audit.duplicated.values()].reduce((sum, count) => sum + count - 1, 0)
      const recoveryMs = resumedAt - killAt
      return {
        id: 'B5',
        title: b5Recovery.title,
        setup: {
          records: n,
          partitions: PARTITIONS,
          members: 2,
          sessionTimeoutMs,
          commitIntervalMs: 5_000,
          simulatorLatency: 'exponential, mean 100 ms, max 300 ms',
          killedAfterOutcomes: outcomesAtKill,
        },
        rows: [
          { metric: 'kill → survivor owns every partition', value: reassignedAt - killAt, unit: 'ms' },
          { metric: 'kill → killed partitions processed again', value: recoveryMs, unit: 'ms' },
          { metric: 'inputs with more than one outcome', value: audit.duplicated.size, unit: 'inputs' },
          { metric: 'duplicate outcome records', value: duplicateRecords, unit: 'records' },
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
      for (const m of members)
        if (m.process.exitCode === null && m.process.signalCode === null) m.process.kill('SIGKILL')
      await watcher.disconnect()
      await sim.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  },
}
