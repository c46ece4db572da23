import { afterEach, describe, expect, it } from 'vitest'
import { createHubSpotClient } from '../../src/sinks/hubspot/client.js'
import { type AttendancePipeline, attendancePipeline } from '../../src/streams/attendancePipeline.js'
import { expectedParticipations, generateAttendance } from '../../src/testing/attendanceGenerator.js'
import { auditOutcomes, committedOffsets, endOffsets } from '../../src/testing/outcomeAudit.js'
import { type HubSpotSimulator, startHubSpotSimulator } from '../../src/testing/simulator/index.js'
import { withAdmin } from '../support/kafka.js'
import { impliedParticipations, simulatorParticipations } from '../support/participations.js'
import {
  createPipelineTopics,
  produceRecords,
  testPipelineConfig,
  waitUntil,
} from '../support/pipelineHarness.js'

describe('attendancePipeline on a real broker and the HubSpot simulator', () => {
  let sim: HubSpotSimulator | undefined
  let pipeline: AttendancePipeline | undefined

  afterEach(async () => {
    await pipeline?.stop({ timeoutMs: 5_000 })
    await sim?.stop()
    pipeline = undefined
    sim = undefined
  })

  it('gives 20,000 records on 6 partitions, 5% malformed, with 5xx and 429s, exactly one outcome each', async () => {
    const records = [...generateAttendance(20_000, { seed: 7, badShare: 0.05, contacts: 3_000 })]
    const topics = await createPipelineTopics(6)
    await produceRecords(topics.input, records)
    // 3% of requests fail with 500/502/503; and while the pipeline runs, another client of the same token (a
    // "neighbour") uses up the window all at once, so the pipeline runs into 429s until the window rolls on.
    sim = await startHubSpotSimulator({
      events: 'auto',
      contacts: 'auto',
      rateLimit: { max: 150 },
      faults: { errorRate: 0.03 },
      seed: 11,
    })
    const neighbour = createHubSpotClient({ token: sim.token, baseUrl: sim.url, connections: 50 })
    const exhaustWindow = () =>
      Promise.all(
        Array.from({ length: 150 }, () =>
          neighbour.recordAttendance({
            event: { kind: 'external', externalEventId: 'neighbour-event' },
            subscriberState: 'attend',
            contactKind: 'vid',
            inputs: [{ vid: 1, interactionDateTime: Date.now(), properties: {} }],
          }),
        ),
      )
    const config = testPipelineConfig(topics, sim)
    const started = Date.now()
    pipeline = attendancePipeline(config)
    await waitUntil(
      'a quarter of the records have outcomes',
      () => (pipeline?.metrics().results ?? 0) > 5_000,
    )
    await exhaustWindow()
    await neighbour.close()
    await waitUntil('every record has an outcome', () => {
      const m = pipeline?.metrics()
      return m !== undefined && m.results + m.errors >= records.length
    })
    const elapsedMs = Date.now() - started
    await pipeline.stop()
    await pipeline.done
    console.log(`pipeline: ${records.length} records end to end in ${elapsedMs} ms`)

    const audit = await auditOutcomes({
      brokers: config.kafka.brokers,
      inputTopics: [topics.input],
      resultsTopic: topics.results,
      errorsTopic: topics.errors,
    })
    expect(audit.missing).toEqual([])
    expect([...audit.duplicated]).toEqual([])
    expect(audit.unexpected).toEqual([])
    const bad = records.filter((r) => r.expected === undefined).length
    expect(audit.errors).toBe(bad)
    expect(audit.results).toBe(records.length - bad)

    const counters = sim.counters()
    expect(counters.rateLimited.tenSecondly).toBeGreaterThan(0)
    expect(counters.faults.status).toBeGreaterThan(0)

    // HubSpot's state is what the valid inputs imply, and every (event, contact) of a valid input is there.
    const actual = simulatorParticipations(sim, ['neighbour-event'])
    expect(new Set(actual.keys())).toEqual(new Set(expectedParticipations(records).keys()))
    expect(actual).toEqual(impliedParticipations(audit))

    // Everything finished, so everything was committed.
    const [committed, ends] = await withAdmin(async (admin) => [
      await committedOffsets(admin, topics.groupId, [topics.input]),
      await endOffsets(admin, [topics.input]),
    ])
    expect(committed).toEqual(ends)
  })
})
