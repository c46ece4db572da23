import { EMPTY, mergeMap, Observable, type OperatorFunction } from 'rxjs'
import type { AttendanceBatch } from '../codecs/attendanceBatch.js'
import { AttendanceStreamError } from '../errors.js'
import { isLive } from '../member/sourceRecord.js'
import type { HubSpotSink } from '../sinks/hubspotSink.js'
import type { SinkOutcome } from '../sinks/sinkOutcome.js'

/** Settings of {@link sinkToHubSpot}. */
export interface SinkToHubSpotOptions {
  /**
   * Batches handed to the sink at once (waiting for budget included); `Infinity` for no bound (when batching
   * already lets go only what the sink has slots for, as in `attendanceFlow`). Default 16.
   */
  readonly concurrency?: number
}

/**
 * Sends each batch through the HubSpot sink and emits one outcome per source record, batch by batch (batches may
 * finish out of order; a batch's outcomes stay in its record order).
 *
 * ```text
 * batches:   --A-----B------|          (A holds records a1 a2, B holds b1)
 * outcomes:  -----(a1 a2)--b1-|        (a1 Recorded, a2 Rejected, b1 Failed: all data)
 *
 * batches:   --A--B---                 (HubSpot says 401, onConfigFault 'stop')
 * outcomes:  -----#                    (HUBSPOT_UNAUTHENTICATED: the stage stops, nothing is committed)
 * ```
 *
 * A batch none of whose records is live any more (their partitions were revoked while it queued) is dropped
 * unsent, with no outcomes. `Rejected` and `Failed` are data for the error topic; only infrastructure faults (401/403 with
 * `onConfigFault: 'stop'`, a closed sink, a batch with a record that has no input) error the stream.
 * At most `concurrency` batches are with the sink at once, so upstream buffering stays bounded; the sink itself
 * caps requests per account. Unsubscribing cancels the batches in progress (their waits and requests abort),
 * and their records get no outcome: their offsets must not be committed.
 *
 * @example
 * import { from } from 'rxjs'
 * import { type AttendanceBatch, createHubSpotClient, createHubSpotSink, sinkToHubSpot } from 'attendance-stream'
 *
 * declare const batches: AttendanceBatch[]
 * const sink = createHubSpotSink({ client: createHubSpotClient({ token: process.env.HUBSPOT_TOKEN ?? '' }) })
 * from(batches)
 *   .pipe(sinkToHubSpot(sink, { concurrency: 8 }))
 *   .subscribe((outcome) => console.log(outcome._tag, outcome.record.source.offset))
 */
export function sinkToHubSpot(
  sink: HubSpotSink,
  options: SinkToHubSpotOptions = {},
): OperatorFunction<AttendanceBatch, SinkOutcome> {
  const concurrency = options.concurrency ?? 16
  if (!((Number.isInteger(concurrency) || concurrency === Number.POSITIVE_INFINITY) && concurrency >= 1)) {
    throw new AttendanceStreamError(
      'INVALID_CONFIG',
      `concurrency must be an integer ≥ 1 or Infinity, got ${concurrency}`,
      {
        context: { concurrency },
      },
    )
  }
  const sendOne = (batch: AttendanceBatch): Observable<SinkOutcome> =>
    // A batch whose every record's partition was given away while it queued is moot: its new owner redoes
    // the records and the member would drop their outcomes, so it costs no budget.
    !batch.records.some((record) => isLive(record.source))
      ? EMPTY
      : new Observable<SinkOutcome>((subscriber) => {
          const controller = new AbortController()
          let settled = false
          sink.send(batch, { signal: controller.signal }).then(
            (outcomes) => {
              settled = true
              for (const outcome of outcomes) {
                if (subscriber.closed) return
                subscriber.next(outcome)
              }
              subscriber.complete()
            },
            (error: unknown) => {
              settled = true
              subscriber.error(error)
            },
          )
          // An unsubscribe mid-batch aborts its waits and request; the late rejection lands on a closed subscriber.
          // A settled batch has nothing to abort (and every batch's teardown runs: an error per batch adds up).
          return () => {
            if (!settled)
              controller.abort(new AttendanceStreamError('SINK_CLOSED', 'the batch was unsubscribed'))
          }
        })
  return (source) => source.pipe(mergeMap(sendOne, concurrency))
}
