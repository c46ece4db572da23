import type { AttendanceBatch } from '../../src/codecs/attendanceBatch.js'
import type { AttendanceRecord } from '../../src/codecs/attendanceRecord.js'
import type { SubscriberInput } from '../../src/codecs/hubspotRequests.js'

/** Badge-scan records and batches for sink tests and the bench: one input per distinct vid, like the batcher. */

export const EVENT_ID = 'expo-2026'

export const scan = (vid: number, offset: number, account = 'default'): AttendanceRecord => ({
  account,
  event: { kind: 'external', externalEventId: EVENT_ID },
  subscriberState: 'attend',
  contact: { vid },
  interactionDateTime: 1_764_407_643_120 + offset,
  properties: { joinedAt: String(1_764_407_643_120 + offset) },
  contactProperties: {},
  origin: { type: 'badge.scanned', id: `scn-${offset}` },
  source: { topic: 'scans', partition: 0, offset: String(offset), timestamp: '0', key: null, value: null },
})

let seq = 0

export const batchOf = (records: readonly AttendanceRecord[]): AttendanceBatch => {
  const inputs: SubscriberInput[] = []
  const seen = new Set<number>()
  for (const r of records) {
    if (!('vid' in r.contact) || seen.has(r.contact.vid)) continue
    seen.add(r.contact.vid)
    inputs.push({ vid: r.contact.vid, interactionDateTime: r.interactionDateTime, properties: r.properties })
  }
  seq += 1
  return {
    id: `b-${seq}`,
    key: {
      account: records[0]?.account ?? 'default',
      event: { kind: 'external', externalEventId: EVENT_ID },
      subscriberState: 'attend',
      contactKind: 'vid',
    },
    inputs,
    records,
    bytes: JSON.stringify({ inputs }).length,
    openedAt: 0,
    closedAt: 0,
  }
}

/** `count` scans of vids `firstVid`, `firstVid + 1`, … as one batch. */
export const scanBatch = (firstVid: number, count: number, account = 'default'): AttendanceBatch =>
  batchOf(Array.from({ length: count }, (_, i) => scan(firstVid + i, firstVid + i, account)))

/** The simulator's deterministic PRNG, for the sink's jitter, so timed tests replay. */
export { seededRandom } from '../../src/testing/simulator/prng.js'
