/**
 * Throughput of batchAttendance: records/s through the operator, synchronously, with the default options and the
 * default scheduler (timers are created and cancelled for real, they just never fire during a synchronous run).
 * Printed, not asserted.  Run: npx tsx bench/batching.ts
 */
import { performance } from 'node:perf_hooks'
import { Observable } from 'rxjs'
import type { AttendanceRecord } from '../src/codecs/attendanceRecord.js'
import { batchAttendance } from '../src/streams/batchAttendance.js'

const RECORDS = 1_000_000

const makeRecords = (keys: number): AttendanceRecord[] =>
  Array.from({ length: RECORDS }, (_, i) => ({
    account: 'default',
    event: { kind: 'external', externalEventId: `expo-${i % keys}` },
    subscriberState: 'attend',
    // Contacts repeat now and then, so some records merge.
    contact: { vid: 1 + (i % 977) * 13 + Math.floor(i / keys) },
    interactionDateTime: 1_764_407_643_120 + i,
    properties: { joinedAt: String(1_764_407_643_120 + i) },
    contactProperties: {},
    origin: { type: 'badge.scanned', id: `scn-${i}` },
    source: {
      topic: 'scans',
      partition: i % 12,
      offset: String(i),
      timestamp: '1764407643120',
      key: null,
      value: null,
    },
  }))

function run(records: readonly AttendanceRecord[]): { ms: number; batches: number } {
  let batches = 0
  const start = performance.now()
  new Observable<AttendanceRecord>((subscriber) => {
    for (const record of records) subscriber.next(record)
    subscriber.complete()
  })
    .pipe(batchAttendance())
    .subscribe(() => {
      batches += 1
    })
  return { ms: performance.now() - start, batches }
}

for (const keys of [10, 10_000, 200_000]) {
  const records = makeRecords(keys)
  run(records.slice(0, 100_000)) // warm-up
  const rounds = [run(records), run(records), run(records)]
  const best = rounds.reduce((a, b) => (a.ms <= b.ms ? a : b))
  const perSecond = Math.round((RECORDS / best.ms) * 1000)
  console.log(
    `${String(keys).padStart(6)} keys: ${perSecond.toLocaleString('en-US')} records/s ` +
      `(${RECORDS.toLocaleString('en-US')} records, ${best.batches.toLocaleString('en-US')} batches, ` +
      `best of 3: ${best.ms.toFixed(0)} ms)`,
  )
}
