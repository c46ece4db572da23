import { afterEach, describe, expect, it } from 'vitest'
import { type AttendancePipeline, attendancePipeline } from '../../src/streams/attendancePipeline.js'
import { generateAttendance } from '../../src/testing/attendanceGenerator.js'
import { type HubSpotSimulator, startHubSpotSimulator } from '../../src/testing/simulator/index.js'
import {
  impliedParticipations,
  participationProblems,
  simulatorParticipations,
} from '../support/participations.js'
import {
  auditUntilComplete,
  createPipelineTopics,
  produceRecords,
  testPipelineConfig,
  waitUntil,
} from '../support/pipelineHarness.js'

describe('attendancePipeline members in one consumer group', () => {
  let sim: HubSpotSimulator | undefined
  const members: AttendancePipeline[] = []

  afterEach(async () => {
    await Promise.all(members.splice(0).map((m) => m.stop({ timeoutMs: 5_000 })))
    await sim?.stop()
    sim = undefined
  })

  it('split the partitions, survive a member joining and one leaving mid-stream, and lose nothing', async () => {
    const records = [...generateAttendance(10_000, { seed: 5, badShare: 0.05 })]
    const topics = await createPipelineTopics(6)
    await produceRecords(topics.input, records)
    sim = await startHubSpotSimulator({
      events: 'auto',
      contacts: 'auto',
      faults: { latency: { fixedMs: 15 } },
    })
    const config = testPipelineConfig(topics, sim, {
      limits: { commitIntervalMs: 300, maxInFlightRecords: 1_000 },
    })
    const assignments: number[][] = [[], [], []]
    const start = (i: number) => {
      const member = attendancePipeline(config)
      member.events.subscribe((e) => {
        if (e.type === 'assigned') assignments[i]?.push(e.partitions.length)
      })
      members.push(member)
      return member
    }
    const total = () => members.reduce((n, m) => n + m.metrics().results + m.metrics().errors, 0)

    const [a, b] = [start(0), start(1)]
    await waitUntil('two members share the partitions', () => {
      const [ma, mb] = [a.metrics(), b.metrics()]
      return (
        ma.assignedPartitions > 0 &&
        mb.assignedPartitions > 0 &&
        ma.assignedPartitions + mb.assignedPartitions === 6
      )
    })
    await waitUntil('a third of the records are done', () => total() >= 3_000)
    const c = start(2)
    await waitUntil('the third member owns partitions', () => c.metrics().assignedPartitions > 0)
    await waitUntil('two thirds are done', () => total() >= 6_500)
    await b.stop()
    members.splice(members.indexOf(b), 1)
    const final = await auditUntilComplete(topics)

    expect(assignments[0]?.some((n) => n > 0 && n < 6)).toBe(true) // a really shared
    expect(assignments[1]?.some((n) => n > 0)).toBe(true)
    expect(assignments[2]?.some((n) => n > 0)).toBe(true)
    expect(final.missing).toEqual([])
    expect(final.unexpected).toEqual([])
    // Duplicates are allowed across rebalances (at least once); losses are not.
    expect(
      participationProblems(simulatorParticipations(sim), impliedParticipations(final), records),
    ).toEqual([])
  })

  it('pauses fetching at maxInFlightRecords and never holds more unfinished records than that', async () => {
    const records = [...generateAttendance(2_000, { seed: 9, badShare: 0 })]
    const topics = await createPipelineTopics(3)
    await produceRecords(topics.input, records)
    sim = await startHubSpotSimulator({
      events: 'auto',
      contacts: 'auto',
      faults: { latency: { fixedMs: 50 } },
    })
    const member = attendancePipeline(
      testPipelineConfig(topics, sim, { limits: { commitIntervalMs: 300, maxInFlightRecords: 300 } }),
    )
    members.push(member)
    let paused = 0
    let resumed = 0
    member.events.subscribe((e) => {
      if (e.type === 'paused') paused++
      if (e.type === 'resumed') resumed++
    })
    let highest = 0
    await waitUntil(
      'every record has an outcome',
      () => {
        const m = member.metrics()
        highest = Math.max(highest, m.inFlight)
        return m.results + m.errors >= records.length
      },
      120_000,
    )
    expect(highest).toBeGreaterThan(0)
    expect(highest).toBeLessThanOrEqual(300)
    expect(paused).toBeGreaterThan(0)
    expect(resumed).toBeGreaterThan(0)
  })

  it('drops the outcomes of work it gave away in a rebalance once drainTimeoutMs passed, and still loses nothing', async () => {
    const records = [...generateAttendance(1_500, { seed: 13, badShare: 0 })]
    const topics = await createPipelineTopics(4)
    await produceRecords(topics.input, records)
    // A HubSpot slow enough that work is still in flight when the second member joins.
    sim = await startHubSpotSimulator({
      events: 'auto',
      contacts: 'auto',
      faults: { latency: { fixedMs: 1_500 } },
    })
    const config = testPipelineConfig(topics, sim, {
      limits: { commitIntervalMs: 300, drainTimeoutMs: 200 },
    })
    const first = attendancePipeline(config)
    members.push(first)
    await waitUntil(
      'HubSpot is busy with the first member',
      () => sim !== undefined && sim.counters().requests > 0,
    )
    const second = attendancePipeline(config)
    members.push(second)
    await waitUntil('the second member owns partitions', () => second.metrics().assignedPartitions > 0)
    const final = await auditUntilComplete(topics)
    expect(first.metrics().abandoned).toBeGreaterThan(0)
    expect(final.missing).toEqual([])
  })
})
