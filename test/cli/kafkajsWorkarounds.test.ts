import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { installKafkajsWorkarounds } from '../../src/cli/kafkajsWorkarounds.js'

interface Queue {
  pending: unknown[]
  throttledUntil: number
  throttleCheckTimeoutId: NodeJS.Timeout | null
  checkPendingRequests(): void
  scheduleCheckPendingRequests(): void
  destroy(): void
}

const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as new (
  options: object,
) => Queue

const newQueue = (): Queue =>
  new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 30_000,
    enforceRequestTimeout: true,
    clientId: 'test',
    broker: '127.0.0.1:9',
    logger: { debug: () => undefined, warn: () => undefined, error: () => undefined },
  })

describe('installKafkajsWorkarounds', () => {
  it('stops the request queue scheduling a negative-delay check when nothing is pending', () => {
    installKafkajsWorkarounds()
    installKafkajsWorkarounds() // twice is harmless
    const queue = newQueue()
    try {
      // What kafkajs runs after every response: with nothing pending it used to arm a timer at -1 - now.
      queue.checkPendingRequests()
      expect(queue.throttleCheckTimeoutId).toBeNull()
    } finally {
      queue.destroy()
    }
  })

  it('still schedules the check for a request that waits behind a throttle', () => {
    installKafkajsWorkarounds()
    const queue = newQueue()
    try {
      queue.throttledUntil = Date.now() + 60_000
      queue.pending.push({})
      queue.scheduleCheckPendingRequests()
      expect(queue.throttleCheckTimeoutId).not.toBeNull()
    } finally {
      queue.pending.length = 0
      queue.destroy()
    }
  })
})
