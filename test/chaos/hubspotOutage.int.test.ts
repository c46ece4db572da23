import { afterEach, describe, expect, it } from 'vitest'
import { type AttendancePipeline, attendancePipeline } from '../../src/streams/attendancePipeline.js'
import { generateAttendance } from '../../src/testing/attendanceGenerator.js'
import { committedOffsets, endOffsets } from '../../src/testing/outcomeAudit.js'
import type { FaultPlan } from '../../src/testing/simulator/faults.js'
import { type HubSpotSimulator, startHubSpotSimulator } from '../../src/testing/simulator/index.js'
import { withAdmin } from '../support/kafka.js'
import {
  auditUntilComplete,
  createPipelineTopics,
  produceRecords,
  testPipelineConfig,
  waitUntil,
} from '../support/pipelineHarness.js'

/**
 * HubSpot down for a while in the middle of a stream (issue 14): a real broker, the simulator answering every
 * request with 503 (or resetting every connection), then recovering. Kafka is the buffer: nothing may be
 * dead-lettered because of the outage, the member reports itself not ready with the reason while it lasts, and
 * every input ends with a result once HubSpot is back. `CHAOS=full` (npm run chaos) holds the outage for 60 s.
 */
const OUTAGE_MS = process.env.CHAOS === 'full' ? 60_000 : 12_000

/** How an outage begins and ends, given the running simulator; `end` returns the simulator that is up after. */
interface Outage {
  begin(sim: HubSpotSimulator): Promise<void>
  end(sim: HubSpotSimulator): Promise<HubSpotSimulator>
}
const injected = (faults: FaultPlan): Outage => ({
  begin: async (sim) => sim.setFaults(faults),
  end: async (sim) => {
    sim.setFaults(HEALTHY)
    return sim
  },
})
// Nothing listens at HubSpot's address for a while (connection refused), then a simulator is back on the same port.
const refused: Outage = {
  begin: (sim) => sim.stop(),
  end: (sim) =>
    startHubSpotSimulator({
      port: Number(new URL(sim.url).port),
      tokens: [sim.token],
      events: 'auto',
      contacts: 'auto',
      faults: HEALTHY,
    }),
}
const HEALTHY: FaultPlan = { latency: { fixedMs: 20 } }

const outages: [string, Outage][] = [
  ['every request answered 503', injected({ errorRate: 1, errorStatuses: [503] })],
  ['every connection reset', injected({ resetRate: 1 })],
  ['connection refused', refused],
]

describe('a HubSpot outage in the middle of a stream', () => {
  let sim: HubSpotSimulator | undefined
  let pipeline: AttendancePipeline | undefined

  afterEach(async () => {
    await pipeline?.stop({ timeoutMs: 5_000 })
    await sim?.stop()
    pipeline = undefined
    sim = undefined
  })

  it.each(outages)(
    `is ridden out (${OUTAGE_MS / 1000} s, %s): no error records, /readyz flips and back`,
    async (_name, outage) => {
      const records = [...generateAttendance(1_500, { seed: 14, badShare: 0 })]
      const topics = await createPipelineTopics(6)
      await produceRecords(topics.input, records)
      sim = await startHubSpotSimulator({
        events: 'auto',
        contacts: 'auto',
        faults: { latency: { fixedMs: 20 } },
      })
      const config = testPipelineConfig(topics, sim, {
        hubspot: { accounts: { default: { token: sim.token, baseUrl: sim.url, requestsPer10s: 60 } } },
        batching: { maxWaitMs: 200, maxBatchSize: 25 },
      })
      const running = attendancePipeline(config)
      pipeline = running
      await waitUntil('some records are recorded', () => running.metrics().results >= 200, 60_000)

      await outage.begin(sim)
      await waitUntil('the member reports the outage', () => !running.ready(), 60_000)
      expect(running.notReadyBecause()).toMatch(/^HubSpot account "default" is down \(/)
      const duringOutage = running.metrics().results
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS))
      // Nothing was dead-lettered while HubSpot was down, and nothing more was recorded.
      expect(running.metrics().errors).toBe(0)
      expect(running.metrics().results).toBe(duringOutage)

      sim = await outage.end(sim)
      await waitUntil('the member is ready again', () => running.ready(), 120_000)
      const audit = await auditUntilComplete(topics, 180_000)
      expect(audit.missing).toEqual([])
      expect(audit.errors).toBe(0)
      expect(audit.results).toBeGreaterThanOrEqual(records.length)
      await waitUntil(
        'everything is committed',
        () => running.metrics().inFlight === 0 && running.metrics().lag === 0,
        60_000,
      )
      await running.stop()
      const [committed, ends] = await withAdmin(async (admin) => [
        await committedOffsets(admin, topics.groupId, [topics.input]),
        await endOffsets(admin, [topics.input]),
      ])
      expect(committed).toEqual(ends)
    },
    400_000,
  )
})
