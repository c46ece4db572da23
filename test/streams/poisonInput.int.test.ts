import { afterEach, describe, expect, it } from 'vitest'
import { MAX_ERROR_RECORD_BYTES } from '../../src/codecs/boundedErrorRecord.js'
import { type AttendancePipeline, attendancePipeline } from '../../src/streams/attendancePipeline.js'
import { generateAttendance } from '../../src/testing/attendanceGenerator.js'
import { type HubSpotSimulator, startHubSpotSimulator } from '../../src/testing/simulator/index.js'
import {
  auditUntilComplete,
  createPipelineTopics,
  produceRecords,
  testPipelineConfig,
} from '../support/pipelineHarness.js'

/**
 * An input built to hurt (issue 14): with `maxValueBytes` at its 1 MiB bound, a value of about a megabyte whose
 * contact properties are tens of thousands of bad entries. Its error record (one detail per problem, uncapped,
 * would be far over Kafka's message size) is written bounded, and the member goes on: no failure, no restart,
 * the records after it recorded as usual.
 */
describe('a one-megabyte input of bad keys', () => {
  let sim: HubSpotSimulator | undefined
  let pipeline: AttendancePipeline | undefined
  afterEach(async () => {
    await pipeline?.stop({ timeoutMs: 5_000 })
    await sim?.stop()
  })

  it('gets its bounded error record written, and the member carries on', async () => {
    // Numbers where strings are expected: every entry is its own problem (`"k123":123,` is about 12 bytes).
    const properties: Record<string, number> = {}
    for (let i = 0, bytes = 0; bytes < 1_000_000; i++) {
      properties[`k${i}`] = i
      bytes += `"k${i}":${i},`.length
    }
    const poison = JSON.stringify({
      type: 'attendee.checkin',
      checkinId: 'chk-poison',
      eventId: 'expo-2026-0',
      state: 'register',
      contact: { email: 'poison@example.com', properties },
      occurredAt: Date.now(),
    })
    expect(Buffer.byteLength(poison)).toBeGreaterThan(1_000_000)
    const records = [
      ...generateAttendance(200, { seed: 31, badShare: 0 }),
      { key: 'poison', value: poison },
      ...generateAttendance(200, { seed: 32, badShare: 0 }),
    ]
    const topics = await createPipelineTopics(1)
    await produceRecords(topics.input, records.slice(0, 200))
    await produceRecords(topics.input, [records[200] as { key: string; value: string }])
    await produceRecords(topics.input, records.slice(201))
    sim = await startHubSpotSimulator({ events: 'auto', contacts: 'auto' })
    pipeline = attendancePipeline(testPipelineConfig(topics, sim, { limits: { maxValueBytes: 1_048_576 } }))
    let failed: unknown
    pipeline.done.catch((error: unknown) => {
      failed = error
    })

    const audit = await auditUntilComplete(topics, 120_000)
    expect(failed).toBeUndefined()
    expect(audit.missing).toEqual([])
    expect(audit.results).toBe(400)
    const errors = audit.entries.filter((e) => e.kind === 'error')
    expect(errors).toHaveLength(1)
    const record = errors[0]?.record as { code: string; details: string[]; payload: { truncated?: boolean } }
    expect(record.code).toBe('INVALID_EVENT')
    expect(record.details).toHaveLength(51)
    expect(record.details.at(-1)).toMatch(/^… and \d+ more$/)
    expect(Buffer.byteLength(JSON.stringify(record))).toBeLessThanOrEqual(MAX_ERROR_RECORD_BYTES)
    expect(pipeline.metrics().errorsByCode).toEqual({ INVALID_EVENT: 1 })
  }, 240_000)
})
