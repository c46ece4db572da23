import { connect, filter, identity, map, merge, type Observable, type OperatorFunction, tap } from 'rxjs'
import type { AttendanceBatch } from '../codecs/attendanceBatch.js'
import type { AttendanceRecord } from '../codecs/attendanceRecord.js'
import type { ErrorRecord, ResultRecord } from '../codecs/outcomeRecords.js'
import { isOutcome, type Outcome, skipped } from '../member/outcome.js'
import type { SourceRecord } from '../member/sourceRecord.js'
import type { HubSpotSink } from '../sinks/hubspotSink.js'
import { batchAttendance } from './batchAttendance.js'
import type { BatchOptions } from './batching/batchOptions.js'
import { type DecodeOptions, decodeRecords, isDecoded, isDecodeFailed } from './decodeRecords.js'
import { attendanceOutcome } from './outcomeMessages.js'
import { type SinkToHubSpotOptions, sinkToHubSpot } from './sinkToHubSpot.js'

/** An outcome of the attendance flow: a result record, an error record, or a skipped record. */
export type AttendanceOutcome = Outcome<ResultRecord, ErrorRecord>

/**
 * A step of yours between decoding and batching. For each record it is given it emits exactly one of:
 * the record (changed or not) to go on to HubSpot, `skipped(record.source, reason)` to drop it (its offset is
 * committed, nothing is written), or an `Error` outcome (`failure(record.source, errorRecord)`) for the errors topic.
 */
export type AttendanceStep = OperatorFunction<AttendanceRecord, AttendanceRecord | Outcome>

/** Where user steps go in the attendance flow. */
export interface AttendanceFlowSteps {
  /** Runs on every decoded record before batching (enrichment, filtering). */
  readonly afterDecode?: AttendanceStep
}

/** What `attendanceFlow` needs. */
export interface AttendanceFlowOptions {
  readonly decode?: DecodeOptions
  readonly batching?: BatchOptions
  readonly sink: HubSpotSink
  readonly sinkToHubSpot?: SinkToHubSpotOptions
  readonly steps?: AttendanceFlowSteps
  /** Called with every batch handed to the sink (for counters). */
  readonly onBatch?: (batch: AttendanceBatch) => void
}

/**
 * The attendance flow as one operator: decode → your steps → batch → HubSpot, one outcome per record.
 *
 * ```text
 * records ─▶ decodeRecords ─┬─ Decoded ─▶ steps.afterDecode ─┬─ record ─▶ batchAttendance ─▶ sinkToHubSpot ─┐
 *                           │                                └─ Skipped | Error ────────────────────────────┤
 *                           └─ DecodeFailed ─────────────────────────────────────────────────────────────────┴─▶ outcomes
 * ```
 *
 * It knows nothing of Kafka: `runMember` puts it between a consumer group and the outcome topics, and a test
 * can run it over an array. Bad records are outcomes, never stream errors; the stream errors only on
 * infrastructure faults (a 401 with `onConfigFault: 'stop'`, a closed sink).
 *
 * @example
 * import { attendanceFlow, filterRecords, runMember } from 'attendance-stream'
 * const flow = attendanceFlow({ sink, steps: { afterDecode: filterRecords((r) => r.event.kind === 'external', 'not-ours') } })
 */
export function attendanceFlow(
  options: AttendanceFlowOptions,
): OperatorFunction<SourceRecord, AttendanceOutcome> {
  const afterDecode: AttendanceStep = options.steps?.afterDecode ?? identity
  const onBatch = options.onBatch
  const toHubSpot: OperatorFunction<AttendanceRecord, AttendanceOutcome> = (records) =>
    records.pipe(
      // Late sealing: a batch leaves only when its account has a slot, so the sink holds no queue of its own and
      // the batches it would have queued keep filling here.
      batchAttendance({ sendCapacity: options.sink.capacity, ...options.batching }),
      onBatch === undefined ? identity : tap(onBatch),
      // Batching lets go only what the sink has slots for (and everything on completion), so the sink, not this
      // bound, limits what is in progress; a bound here would hold batches that already claimed a slot.
      sinkToHubSpot(options.sink, { concurrency: Number.POSITIVE_INFINITY, ...options.sinkToHubSpot }),
      map(attendanceOutcome),
    )
  return (records) =>
    records.pipe(
      decodeRecords(options.decode),
      connect((decoded) =>
        merge(
          decoded.pipe(filter(isDecodeFailed), map(attendanceOutcome)),
          decoded.pipe(
            filter(isDecoded),
            map((d) => d.record),
            afterDecode,
            connect((stepped: Observable<AttendanceRecord | Outcome>) =>
              merge(
                stepped.pipe(filter(isOutcome)) as Observable<AttendanceOutcome>,
                stepped.pipe(
                  filter((r): r is AttendanceRecord => !isOutcome(r)),
                  toHubSpot,
                ),
              ),
            ),
          ),
        ),
      ),
    )
}

/**
 * A filter for the attendance flow: records that fail `keep` are skipped (done, nothing written, offset
 * committed) with `reason`, the rest go on.
 *
 * ```text
 * records:  --a--b--c--|      (keep(b) is false)
 * out:      --a--S--c--|      S = Skipped(b)
 * ```
 */
export const filterRecords =
  (keep: (record: AttendanceRecord) => boolean, reason: string): AttendanceStep =>
  (records) =>
    records.pipe(map((record) => (keep(record) ? record : skipped(record.source, reason))))
