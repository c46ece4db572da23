import { isUtf8 } from 'node:buffer'

/**
 * The record a member hands to its flow: where it came from, its bytes, and the lease under which this member
 * holds it. The flow carries it along (the attendance flow keeps it as `AttendanceRecord.source`) and gives it
 * back in the record's {@link Outcome}, so turning an outcome into a Kafka message needs nothing on the side.
 */

/** Why a record's outcome may no longer matter: its partition was given away in a rebalance. */
export interface Lease {
  /** True once the member gave the partition away: the outcome will be dropped, costly work can be skipped. */
  readonly revoked: boolean
}

/** A lease that is never revoked: for records made outside a member (tests, arrays, your own source). */
export const OPEN_LEASE: Lease = Object.freeze({ revoked: false })

/** A record as a member hands it to the flow. Offsets and timestamps are int64 strings. */
export interface SourceRecord {
  readonly topic: string
  readonly partition: number
  readonly offset: string
  readonly timestamp: string
  /** The Kafka key as UTF-8 text, or base64 when `keyEncoding` says so (keys are arbitrary bytes). */
  readonly key: string | null
  readonly keyEncoding?: 'base64'
  readonly value: Buffer | null
  readonly headers?: Readonly<Record<string, Buffer | string | undefined>>
  /** Absent on records made outside a member: they are never revoked. */
  readonly lease?: Lease
}

/** A record as a Kafka client fetched it, before the member takes it. */
export interface FetchedRecord {
  readonly offset: string
  readonly timestamp: string
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers?: Readonly<Record<string, Buffer | string | undefined>>
}

/** The key as text: UTF-8 when it is valid UTF-8, base64 (marked by `keyEncoding`) otherwise. */
export const keyText = (key: Buffer | null): Pick<SourceRecord, 'key' | 'keyEncoding'> => {
  if (key === null) return { key: null }
  if (isUtf8(key)) return { key: key.toString('utf8') }
  return { key: key.toString('base64'), keyEncoding: 'base64' }
}

/** The record's key bytes, restored from its text form (outcome records are keyed by the same bytes). */
export const keyBytes = (source: Pick<SourceRecord, 'key' | 'keyEncoding'>): Buffer | null =>
  source.key === null ? null : Buffer.from(source.key, source.keyEncoding === 'base64' ? 'base64' : 'utf8')

/** A fetched record of `topic`/`partition` as the flow sees it, held under `lease`. */
export const sourceRecordOf = (
  topic: string,
  partition: number,
  fetched: FetchedRecord,
  lease: Lease = OPEN_LEASE,
): SourceRecord => ({
  topic,
  partition,
  offset: fetched.offset,
  timestamp: fetched.timestamp,
  ...keyText(fetched.key),
  value: fetched.value,
  ...(fetched.headers === undefined ? {} : { headers: fetched.headers }),
  lease,
})

/** True while the member still holds the record's partition (always, for records made outside a member). */
export const isLive = (source: Pick<SourceRecord, 'lease'>): boolean => source.lease?.revoked !== true
