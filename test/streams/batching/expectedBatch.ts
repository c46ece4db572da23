import type { AttendanceBatch } from '../../../src/codecs/attendanceBatch.js'
import type { AttendanceRecord } from '../../../src/codecs/attendanceRecord.js'
import { contactIdentity } from '../../../src/codecs/attendanceRecord.js'
import type { SubscriberInput } from '../../../src/codecs/hubspotRequests.js'
import { batchKeyOf } from '../../../src/streams/batching/batchKey.js'
import { requestBytes } from '../../../src/streams/batching/requestBytes.js'
import { mergeSubscriberInput, toSubscriberInput } from '../../../src/streams/batching/subscriberInput.js'

/**
 * The batch a test expects from `records`, built the slow, obvious way (fold by contact, stringify the body),
 * so that the operator's incremental bookkeeping is checked against it.
 */
export function expectedBatch(
  id: string,
  records: readonly AttendanceRecord[],
  openedAt: number,
  closedAt: number,
): AttendanceBatch {
  const first = records[0]
  if (first === undefined) throw new Error('a batch has at least one record')
  const byContact = new Map<string, SubscriberInput>()
  for (const record of records) {
    const identity = contactIdentity(record.contact)
    const input = byContact.get(identity)
    byContact.set(
      identity,
      input === undefined ? toSubscriberInput(record) : mergeSubscriberInput(input, record),
    )
  }
  const inputs = [...byContact.values()]
  return { id, key: batchKeyOf(first), inputs, records, bytes: requestBytes(inputs), openedAt, closedAt }
}
