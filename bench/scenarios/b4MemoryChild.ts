/**
 * B4's measuring process, run as `node --expose-gc --import tsx bench/scenarios/b4MemoryChild.ts <keys>` so that
 * a full collection can be forced before each reading and nothing else of the suite is on the heap. Prints one
 * JSON line: memory before, with every key's batch open, and after they drained.
 */
import { Subject } from 'rxjs'
import type { AttendanceRecord } from '../../src/codecs/attendanceRecord.js'
import { batchAttendance } from '../../src/streams/batchAttendance.js'

const keys = Number(process.argv[2] ?? 100_000)
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with node --expose-gc')

const reading = () => {
  gc()
  gc()
  const m = process.memoryUsage()
  return { rssMiB: m.rss / 2 ** 20, heapUsedMiB: m.heapUsed / 2 ** 20, heapTotalMiB: m.heapTotal / 2 ** 20 }
}

const record = (i: number): AttendanceRecord => ({
  account: 'default',
  event: { kind: 'external', externalEventId: `session-${i}` },
  subscriberState: 'attend',
  contact: { vid: 1_000_000 + i },
  interactionDateTime: 1_764_407_643_120 + i,
  properties: {},
  contactProperties: {},
  origin: { type: 'badge.scanned', id: `scn-${i}` },
  source: {
    topic: 'scans',
    partition: i % 12,
    offset: String(i),
    timestamp: '1764407643120',
    key: `scn-${i}`,
    value: null,
  },
})

const baseline = reading()
const records = new Subject<AttendanceRecord>()
let emitted = 0
const subscription = records
  // Every key's batch stays open: none fills (one contact each), none ages out (10 min), none is evicted.
  .pipe(batchAttendance({ maxWaitMs: 600_000, maxOpenBatches: keys }))
  .subscribe(() => {
    emitted++
  })
for (let i = 0; i < keys; i++) records.next(record(i))
const open = { ...reading(), emittedWhileOpen: emitted }
records.complete()
subscription.unsubscribe()
const drained = { ...reading(), emitted }
console.log(JSON.stringify({ keys, baseline, open, drained }))
