import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { auditOutcomes, type OutcomeAudit } from '../../src/testing/outcomeAudit.js'
import { type HubSpotSimulator, startHubSpotSimulator } from '../../src/testing/simulator/index.js'
import type { BenchKafka } from './benchKafka.js'
import type { BenchTopics } from './benchPipeline.js'
import type { MemberReport } from './memberProcess.js'

/** B5's members, each a process of its own, and what they run on (the simulator, a config file). */

/** A member of B5's group: `bench/lib/memberProcess.ts` in a child process, and what it has reported so far. */
export interface SpawnedMember {
  readonly process: ChildProcess
  readonly reports: MemberReport[]
  readonly exited: Promise<number | null>
}

export const spawnMember = (configPath: string): SpawnedMember => {
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

/** The partitions of the member's latest assignment, undefined before its first. */
export const lastAssignment = (member: SpawnedMember): readonly number[] | undefined =>
  member.reports.filter((r) => r.type === 'assigned').at(-1)?.partitions

/** Kills (SIGKILL) every member still running: a scenario's cleanup, whatever happened. */
export const killRemaining = (members: readonly SpawnedMember[]): void => {
  for (const m of members)
    if (m.process.exitCode === null && m.process.signalCode === null) m.process.kill('SIGKILL')
}

/** What both B5 phases run their members on: the simulator, and the members' config file for it. */
export interface GroupFixture {
  readonly sim: HubSpotSimulator
  readonly configPath: string
  readonly close: () => Promise<void>
}

/**
 * Starts the simulator (its latency slows the group down enough that a kill or a join lands mid-stream) and
 * writes the members' config file (the CLI's documented format): the product's defaults, except what the phase
 * gives in `overrides`.
 */
export const startGroupFixture = async (
  kafka: BenchKafka,
  topics: BenchTopics,
  settings: {
    readonly requestsPer10s: number
    readonly sessionTimeoutMs: number
    readonly overrides?: Record<string, unknown>
  },
): Promise<GroupFixture> => {
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
        brokers: [...kafka.brokers],
        groupId: topics.groupId,
        inputTopics: [topics.input],
        resultsTopic: topics.results,
        errorsTopic: topics.errors,
        sessionTimeoutMs: settings.sessionTimeoutMs,
      },
      hubspot: {
        accounts: {
          default: { token: sim.token, baseUrl: sim.url, requestsPer10s: settings.requestsPer10s },
        },
      },
      log: { level: 'warn' },
      ...settings.overrides,
    }),
  )
  return {
    sim,
    configPath,
    close: async () => {
      await sim.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Reads the group's outcome topics back once everything is done (duplicates, missing inputs). */
export const auditGroup = (kafka: BenchKafka, topics: BenchTopics): Promise<OutcomeAudit> =>
  auditOutcomes({
    brokers: [...kafka.brokers],
    inputTopics: [topics.input],
    resultsTopic: topics.results,
    errorsTopic: topics.errors,
    timeoutMs: 300_000,
  })

/** Outcome records beyond the first of each input. */
export const duplicateOutcomeRecords = (audit: OutcomeAudit): number =>
  [...audit.duplicated.values()].reduce((sum, count) => sum + count - 1, 0)
