/**
 * Records/s through decode + normalize (`decodeRecord`), for valid input and for a mix of valid and bad.
 * Printed, not asserted. Run: `npx tsx bench/decode.ts`
 */
import { type SourceRecord, sourceRecordOf } from '../src/member/sourceRecord.js'
import { decodeRecord } from '../src/streams/decodeRecords.js'

const N = 200_000
const now = Date.now()

const record = (i: number, value: string | Buffer | null): SourceRecord =>
  sourceRecordOf('scans', i % 12, {
    offset: String(i),
    timestamp: String(now),
    key: Buffer.from(`scn-${i}`),
    value: typeof value === 'string' ? Buffer.from(value) : value,
  })

const scan = (i: number) =>
  JSON.stringify({
    type: 'badge.scanned',
    scanId: `scn-${i}`,
    eventId: 'expo-2026',
    contact: { vid: 50_000 + i },
    scannedAt: new Date(now - i).toISOString(),
    direction: i % 3 === 0 ? 'out' : 'in',
    scanner: { id: `gate-${i % 8}`, location: 'Hall A' },
  })

const checkin = (i: number) =>
  JSON.stringify({
    type: 'attendee.checkin',
    checkinId: `chk-${i}`,
    eventId: 'expo-2026',
    state: (['register', 'attend', 'cancel'] as const)[i % 3],
    contact: { email: `guest${i}@example.com`, properties: { firstname: 'Ada', lastname: 'Lovelace' } },
    occurredAt: now - i,
    externalAccountId: 'acct-7',
  })

const bad: readonly ((i: number) => string | Buffer | null)[] = [
  () => null,
  () => Buffer.from([0xff, 0xfe, 0x00]),
  (i) => scan(i).slice(0, 40),
  () => '[1,2,3]',
  (i) => scan(i).replace('badge.scanned', 'badge.swiped'),
  (i) => scan(i).replace(`"vid":${50_000 + i}`, '"vid":-4'),
  (i) => checkin(i).replace(`"occurredAt":${now - i}`, '"occurredAt":0'),
]

const valid = Array.from({ length: N }, (_, i) => record(i, i % 2 === 0 ? scan(i) : checkin(i)))
// Mixed: 70% valid, 30% spread over the failure kinds.
const mixed = Array.from({ length: N }, (_, i) =>
  i % 10 < 7 ? record(i, i % 2 === 0 ? scan(i) : checkin(i)) : record(i, bad[i % bad.length]!(i)),
)

const run = (label: string, records: readonly SourceRecord[]) => {
  for (let i = 0; i < 20_000; i++) decodeRecord(records[i % records.length]!) // warm-up
  let decoded = 0
  const started = process.hrtime.bigint()
  for (const r of records) if (decodeRecord(r)._tag === 'Decoded') decoded++
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const bytes = records.reduce((sum, r) => sum + (r.value?.length ?? 0), 0)
  console.log(
    `${label.padEnd(8)} ${records.length} records (${decoded} decoded, avg ${Math.round(bytes / records.length)} B) ` +
      `in ${seconds.toFixed(3)} s: ${Math.round(records.length / seconds).toLocaleString('en-US')} records/s`,
  )
}

console.log(`decodeRecord, Node ${process.version}`)
run('valid', valid)
run('mixed', mixed)
