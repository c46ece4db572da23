import { createRequire } from 'node:module'

interface RequestQueuePrototype {
  pending?: unknown[]
  scheduleCheckPendingRequests?: (this: RequestQueuePrototype) => void
}

const PATCHED = Symbol.for('attendance-stream.kafkajs.requestQueue.patched')

/**
 * Two kafkajs 2.2.4 quirks that otherwise put non-JSON noise on stderr at every start. Idempotent; import it
 * before the first Kafka client is created.
 *
 * 1. Its request queue, after every response, schedules a check of pending requests at `throttledUntil - now`
 *    even when nothing is pending (`throttledUntil` starts at -1): a negative delay, which Node 24 reports as a
 *    `TimeoutNegativeWarning` and every Node runs as 1 ms — a timer firing every millisecond on each connection
 *    that ever answered. With nothing pending there is nothing to check (`push()` schedules again when it
 *    queues), so the patch skips that scheduling: the cause, not the warning, goes away.
 * 2. The "switched default partitioner" notice on every producer: we use the default (Java-compatible)
 *    partitioner on purpose, so the notice tells an operator nothing. kafkajs reads this variable for it.
 */
export const installKafkajsWorkarounds = (): void => {
  process.env['KAFKAJS_NO_PARTITIONER_WARNING'] ??= '1'
  // kafkajs is CommonJS without an `exports` map: this is the very module instance its connections use.
  const require = createRequire(import.meta.url)
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as
    | { prototype?: RequestQueuePrototype & { [PATCHED]?: true } }
    | undefined
  const proto = RequestQueue?.prototype
  const original = proto?.scheduleCheckPendingRequests
  // A kafkajs that changed shape is left alone rather than broken.
  if (proto === undefined || typeof original !== 'function' || proto[PATCHED] === true) return
  proto.scheduleCheckPendingRequests = function scheduleOnlyWhenPending(this: RequestQueuePrototype) {
    if (Array.isArray(this.pending) && this.pending.length === 0) return
    original.call(this)
  }
  proto[PATCHED] = true
}
