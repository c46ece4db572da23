import { afterEach, describe, expect, it } from 'vitest'
import { createHubSpotClient } from '../../src/sinks/hubspot/client.js'
import { createHubSpotSink, type HubSpotSink } from '../../src/sinks/hubspotSink.js'
import { maxInWindow, startHubSpotSimulator, windowCounts } from '../../src/testing/simulator/index.js'
import { acceleratedClock } from './acceleratedClock.js'
import { scanBatch } from './sinkFixtures.js'

// Three consumer-group members share one HubSpot token, each with a third of the budget, under 60 s of load
// above the limit. Runs in accelerated time (×3: 60 simulated seconds take about 20 real ones) because the
// simulator and the sinks share one clock; the per-test timeout keeps it under two minutes whatever happens.

const FACTOR = 3
const LOAD_MS = 60_000
const LIMIT = 100

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
})

/** Keeps `parallel` batches in flight on `sink` until the clock passes `until`; returns the outcomes' count. */
const load = async (
  sink: HubSpotSink,
  now: () => number,
  until: number,
  firstVid: number,
  parallel: number,
) => {
  let vid = firstVid
  let recorded = 0
  let other = 0
  const worker = async () => {
    while (now() < until) {
      const batch = scanBatch(vid, 25)
      vid += 25
      for (const o of await sink.send(batch)) {
        if (o._tag === 'Recorded') recorded += 1
        else other += 1
      }
    }
  }
  await Promise.all(Array.from({ length: parallel }, worker))
  return { recorded, other }
}

describe('one budget for a consumer group', () => {
  it('three sinks with share 1/3 on one token: no 10-second window over the limit, no 429', async () => {
    const clock = acceleratedClock(FACTOR)
    const sim = await startHubSpotSimulator({
      events: 'auto',
      contacts: 'auto',
      now: clock.now,
      rateLimit: { max: LIMIT },
    })
    cleanup.push(() => sim.stop())
    const sinks = [0, 1, 2].map(() => {
      const client = createHubSpotClient({ baseUrl: sim.url, token: sim.token, now: clock.now })
      const sink = createHubSpotSink({ client, share: 1 / 3, scheduler: clock.scheduler })
      cleanup.push(() => client.close())
      cleanup.push(() => sink.close())
      return sink
    })
    const start = clock.now()
    const results = await Promise.all(
      sinks.map((s, i) => load(s, clock.now, start + LOAD_MS, i * 1_000_000 + 1, 8)),
    )
    const counters = sim.counters()
    const arrivals = counters.tokens[sim.token]?.arrivals ?? []
    const perWindow = windowCounts(arrivals, 10_000)
    const largest = maxInWindow(arrivals, 10_000)
    expect(largest).toBeLessThanOrEqual(LIMIT)
    expect(counters.rateLimited.total).toBe(0)
    expect(results.every((r) => r.other === 0)).toBe(true)
    // The load really was above the limit: the members kept their 90-request budget busy.
    expect(arrivals.length).toBeGreaterThanOrEqual(((90 * LOAD_MS) / 10_000) * 0.85)
    expect(Math.max(...perWindow)).toBe(largest)
    expect(results.reduce((n, r) => n + r.recorded, 0)).toBe(counters.inputsAccepted)
  }, 110_000)
})
