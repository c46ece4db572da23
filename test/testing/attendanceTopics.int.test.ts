import { afterEach, describe, expect, it } from 'vitest'
import { generateAttendance } from '../../src/testing/attendanceGenerator.js'
import { createAttendanceTopics, produceRecords } from '../../src/testing/attendanceTopics.js'
import { endOffsets } from '../../src/testing/outcomeAudit.js'
import { deleteTopics, testBrokers, uniqueName, withAdmin } from '../support/kafka.js'

describe('createAttendanceTopics and produceRecords', () => {
  const created: string[] = []
  afterEach(async () => {
    if (created.length > 0) await deleteTopics(created.splice(0))
  })

  it('create the topics with their partitions (one when errors share the results topic) and write every record', async () => {
    const topics = { input: uniqueName('scans'), results: uniqueName('outcomes'), errors: '' }
    const shared = { ...topics, errors: topics.results }
    created.push(topics.input, topics.results)
    await createAttendanceTopics(testBrokers(), shared, { input: 4, outcomes: 2 })
    // Again: topics that exist are kept, not an error.
    await createAttendanceTopics(testBrokers(), shared, { input: 4, outcomes: 2 })

    const metadata = await withAdmin((admin) =>
      admin.fetchTopicMetadata({ topics: [topics.input, topics.results] }),
    )
    expect(Object.fromEntries(metadata.topics.map((t) => [t.name, t.partitions.length]))).toEqual({
      [topics.input]: 4,
      [topics.results]: 2,
    })

    // 2,500 records: two full produce requests of 1,000 and a partial one.
    const produced = await produceRecords(testBrokers(), topics.input, generateAttendance(2_500, { seed: 3 }))
    expect(produced).toBe(2_500)
    const ends = await withAdmin((admin) => endOffsets(admin, [topics.input]))
    expect([...ends.values()].reduce((n, end) => n + end, 0n)).toBe(2_500n)
  })
})
