import { merge } from 'rxjs'
import type { AttendanceBatch } from '../codecs/attendanceBatch.js'
import { AttendanceStreamError } from '../errors.js'
import type { HubSpotSink } from './hubspotSink.js'
import type { SinkMetrics } from './sinkMetrics.js'

/**
 * One sink per HubSpot account behind one `HubSpotSink`: each batch goes to the sink of its key's account, so
 * every account keeps its own budget, in-flight cap, daily limit, outage gate and token. `metrics` is the one the
 * account sinks were built to share.
 */
export const routeByAccount = (
  sinks: ReadonlyMap<string, HubSpotSink>,
  metrics: SinkMetrics,
): HubSpotSink => ({
  send: (batch: AttendanceBatch, options) => {
    const sink = sinks.get(batch.key.account)
    if (sink === undefined) {
      // Decoding routes only to configured accounts: reaching here is a bug, not bad data.
      return Promise.reject(
        new AttendanceStreamError('INTERNAL', `no HubSpot sink for account "${batch.key.account}"`),
      )
    }
    return sink.send(batch, options)
  },
  capacity: {
    available: (account) => sinks.get(account)?.capacity.available(account) ?? 0,
    changes: merge(...[...sinks.values()].map((sink) => sink.capacity.changes)),
  },
  requestsPerWindow: () => new Map([...sinks.values()].flatMap((sink) => [...sink.requestsPerWindow()])),
  setShare: (share) => {
    for (const sink of sinks.values()) sink.setShare(share)
  },
  metrics,
  gateTransitions: merge(...[...sinks.values()].map((sink) => sink.gateTransitions)),
  health: () => [...sinks.values()].flatMap((sink) => sink.health()),
  close: async () => {
    await Promise.all([...sinks.values()].map((sink) => sink.close()))
  },
})
