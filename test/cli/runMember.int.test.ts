import { afterEach, describe, expect, it } from 'vitest'
import { generateAttendance } from '../../src/testing/attendanceGenerator.js'
import { auditOutcomes, committedOffsets, endOffsets } from '../../src/testing/outcomeAudit.js'
import { type HubSpotSimulator, startHubSpotSimulator } from '../../src/testing/simulator/index.js'
import { testBrokers, withAdmin } from '../support/kafka.js'
import { type MemberProcess, startMember, writeConfigFile } from '../support/memberProcess.js'
import {
  impliedParticipations,
  participationProblems,
  simulatorParticipations,
} from '../support/participations.js'
import {
  auditUntilComplete,
  createPipelineTopics,
  type PipelineTopics,
  produceRecords,
  waitUntil,
} from '../support/pipelineHarness.js'

// A recognisable secret: it must not appear anywhere in what the member prints.
const TOKEN = 'pat-na1-e2e-secret-7d3f9a'

/** The member's stderr as JSON log lines; throws on a line that is not JSON. */
const logLines = (output: string): Record<string, unknown>[] =>
  output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)

// A member as operators run it: `attendance-stream run --config file.json` in its own process.
describe('attendance-stream run as a child process', () => {
  let sim: HubSpotSimulator | undefined
  const members: MemberProcess[] = []

  afterEach(async () => {
    for (const member of members.splice(0)) {
      if (member.child.exitCode === null && member.child.signalCode === null) member.child.kill('SIGKILL')
      await member.exited
    }
    await sim?.stop()
    sim = undefined
  })

  const setUp = async (count: number) => {
    const records = [...generateAttendance(count, { seed: 3, badShare: 0.05 })]
    const topics = await createPipelineTopics(6)
    await produceRecords(topics.input, records)
    // Slow enough that stopping or killing lands mid-stream: 40 ms per request, one request at a time.
    sim = await startHubSpotSimulator({
      tokens: [TOKEN],
      events: 'auto',
      contacts: 'auto',
      faults: { latency: { fixedMs: 40 } },
    })
    const configFile = writeConfigFile({
      kafka: {
        brokers: testBrokers(),
        groupId: topics.groupId,
        inputTopics: [topics.input],
        resultsTopic: topics.results,
        errorsTopic: topics.errors,
        sessionTimeoutMs: 6_000,
      },
      hubspot: {
        accounts: {
          default: { token: sim.token, baseUrl: sim.url, requestsPer10s: 1_000, maxInFlightRequests: 1 },
        },
      },
      batching: { maxWaitMs: 200, maxBatchSize: 50 },
      // Fetch at most 1,000 ahead, so a stop mid-stream leaves records unfetched and uncommitted.
      limits: { commitIntervalMs: 300, shutdownTimeoutMs: 20_000, maxInFlightRecords: 1_000 },
      metrics: { port: 0 },
      log: { level: 'info' },
    })
    return { records, topics, configFile, sim }
  }

  const audit = (topics: PipelineTopics) =>
    auditOutcomes({
      brokers: testBrokers(),
      inputTopics: [topics.input],
      resultsTopic: topics.results,
      errorsTopic: topics.errors,
    })

  /** Every input offset below a committed offset has an outcome record: the commit was safe. */
  const expectCommitsSafe = async (topics: PipelineTopics) => {
    const committed = await withAdmin((admin) => committedOffsets(admin, topics.groupId, [topics.input]))
    const outcomes = await audit(topics)
    const unsafe: string[] = []
    for (const [topicPartition, offset] of committed) {
      for (let o = 0n; o < offset; o++) {
        if (!outcomes.outcomes.has(`${topicPartition}/${o}`)) unsafe.push(`${topicPartition}/${o}`)
      }
    }
    expect(unsafe).toEqual([])
    return committed
  }

  const runToCompletion = async (setup: Awaited<ReturnType<typeof setUp>>) => {
    const member = startMember(setup.configFile)
    members.push(member)
    await waitUntil(
      'every input has an outcome',
      () => (setup.sim.counters().inputsAccepted ?? 0) > 0,
      60_000,
    )
    const last = await auditUntilComplete(setup.topics)
    member.child.kill('SIGTERM')
    expect(await member.exited).toBe(0)
    return last
  }

  it('on SIGTERM mid-stream exits 0 within the deadline, commits only finished work; a restart finishes the rest', async () => {
    const setup = await setUp(6_000)
    const first = startMember(setup.configFile)
    members.push(first)
    await waitUntil('the member is mid-stream', () => setup.sim.counters().inputsAccepted >= 1_000, 60_000)

    // Its ops port: ready while it runs, and the pipeline's metrics in Prometheus text.
    const started = logLines(first.output()).find(
      (line) => line['msg'] === 'member starting: topics present, joining the consumer group',
    )
    const metricsUrl = String(started?.['metrics'])
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    expect((await fetch(metricsUrl.replace('/metrics', '/readyz'))).status).toBe(200)
    expect((await fetch(metricsUrl.replace('/metrics', '/healthz'))).status).toBe(200)
    const metrics = await (await fetch(metricsUrl)).text()
    expect(metrics).toMatch(/^attendance_records_in_total [1-9]\d*$/m)
    expect(metrics).toMatch(
      /^attendance_hubspot_requests_total\{account="default",outcome="success"\} [1-9]\d*$/m,
    )
    expect(metrics).toMatch(/^# TYPE attendance_hubspot_requests_total counter$/m)
    expect(metrics).toMatch(
      /^attendance_hubspot_request_duration_seconds_count\{account="default"\} [1-9]\d*$/m,
    )
    expect(metrics).toMatch(/^attendance_record_latency_seconds_count [1-9]\d*$/m)

    const signalled = Date.now()
    first.child.kill('SIGTERM')
    expect(await first.exited, first.output()).toBe(0)
    expect(Date.now() - signalled).toBeLessThan(20_000 + 5_000)
    const lines = logLines(first.output())
    expect(lines.map((line) => line['msg'])).toEqual(
      expect.arrayContaining([
        'member starting: topics present, joining the consumer group',
        'stopping: draining open batches, then committing',
        'member stopped',
      ]),
    )
    expect(first.output()).not.toContain(TOKEN)

    const committed = await expectCommitsSafe(setup.topics)
    const ends = await withAdmin((admin) => endOffsets(admin, [setup.topics.input]))
    const committedTotal = [...committed.values()].reduce((n, o) => n + (o > 0n ? o : 0n), 0n)
    expect(committedTotal).toBeGreaterThan(0n)
    expect(committedTotal).toBeLessThan(BigInt(setup.records.length)) // it really stopped mid-stream

    const final = await runToCompletion(setup)
    expect(final.missing).toEqual([])
    expect(final.unexpected).toEqual([])
    // A graceful stop drains and commits everything it fetched, so the restart redoes nothing.
    expect([...final.duplicated]).toEqual([])
    expect(
      await withAdmin((admin) => committedOffsets(admin, setup.topics.groupId, [setup.topics.input])),
    ).toEqual(ends)
    expect(simulatorParticipations(setup.sim)).toEqual(impliedParticipations(final))
  })

  it('after kill -9 mid-stream, what it had committed was safe, and a restart gives every input an outcome', async () => {
    const setup = await setUp(6_000)
    const first = startMember(setup.configFile)
    members.push(first)
    await waitUntil('the member is mid-stream', () => setup.sim.counters().inputsAccepted >= 1_500, 60_000)
    first.child.kill('SIGKILL')
    expect(await first.exited).toBe('SIGKILL')

    const committed = await expectCommitsSafe(setup.topics)
    expect([...committed.values()].some((o) => o > 0n)).toBe(true)

    const final = await runToCompletion(setup)
    expect(final.missing).toEqual([])
    expect(final.unexpected).toEqual([])
    expect(final.results + final.errors).toBeGreaterThanOrEqual(setup.records.length)
    expect(
      participationProblems(simulatorParticipations(setup.sim), impliedParticipations(final), setup.records),
    ).toEqual([])
  })
})
