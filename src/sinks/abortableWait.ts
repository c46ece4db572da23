/**
 * A FIFO place in line that an AbortSignal can take back: the sink's slot queue and the outage gate both keep
 * requests waiting this way, and a cancelled batch must leave the line at once, not when its turn comes.
 */

/** One request waiting in a queue, resolved (or rejected) by whoever owns the queue. */
export interface Waiter<T> {
  readonly resolve: (value: T) => void
  readonly reject: (e: unknown) => void
}

/**
 * Puts a waiter at the end of `queue` and returns its promise; an abort of `signal` removes it and rejects with
 * `reasonOf(signal)`. `afterEnqueue` runs once the waiter is in line (to serve the queue at once if it can).
 */
export const waitInLine = <T>(
  queue: Waiter<T>[],
  signal: AbortSignal,
  reasonOf: (signal: AbortSignal) => unknown,
  afterEnqueue: () => void,
): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(reasonOf(signal))
    const waiter: Waiter<T> = {
      resolve: (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      reject: (e) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    }
    const onAbort = () => {
      const i = queue.indexOf(waiter)
      if (i !== -1) queue.splice(i, 1)
      reject(reasonOf(signal))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    queue.push(waiter)
    afterEnqueue()
  })
