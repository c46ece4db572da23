import { VirtualTimeScheduler } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { type Admission, type GateTransition, OutageGate } from '../../src/sinks/outageGate.js'

// The gate alone, in rxjs virtual time: flush() runs the probe timer that is due, nothing else moves time.

const GO: Admission = { _tag: 'Go', probe: false }

const setup = (options: ConstructorParameters<typeof OutageGate>[1] = {}) => {
  const scheduler = new VirtualTimeScheduler()
  const gate = new OutageGate('eu', { scheduler, random: () => 0.5, ...options })
  const transitions: GateTransition[] = []
  gate.transitions.subscribe((t) => transitions.push(t))
  const signal = new AbortController().signal
  /** Admits a request and reports where its admission stands after pending promises ran. */
  const admit = () => {
    const state: { admission?: Admission } = {}
    gate.admit(signal).then((a) => {
      state.admission = a
    })
    return state
  }
  return { scheduler, gate, transitions, admit, signal }
}

const settled = () => new Promise((resolve) => setImmediate(resolve))

describe('OutageGate', () => {
  it('admits at once while up, and opens after failuresToOpen outage answers in a row', async () => {
    const { gate, transitions, signal } = setup()
    await expect(gate.admit(signal)).resolves.toEqual(GO)
    gate.report(GO, 'outage', '503')
    gate.report(GO, 'up', '200') // an answer between them: the count starts over
    gate.report(GO, 'outage', '503')
    gate.report(GO, 'outage', '503')
    expect(gate.isDown).toBe(false)
    gate.report(GO, 'outage', 'connect ECONNREFUSED 127.0.0.1:1')
    expect(gate.isDown).toBe(true)
    expect(transitions).toEqual([
      { account: 'eu', state: 'down', at: 0, cause: 'connect ECONNREFUSED 127.0.0.1:1' },
    ])
  })

  it('while down lets one probe out at a time, sends a failed probe to the back, and releases all on recovery', async () => {
    const { scheduler, gate, transitions, admit } = setup({ failuresToOpen: 1 })
    gate.report(GO, 'outage', '503')
    const [a, b, c] = [admit(), admit(), admit()]
    await settled()
    expect([a.admission, b.admission, c.admission]).toEqual([undefined, undefined, undefined])
    scheduler.flush() // the first probe is due
    await settled()
    expect(a.admission).toEqual({ _tag: 'Go', probe: true })
    expect([b.admission, c.admission]).toEqual([undefined, undefined])
    expect(gate.health()).toEqual({
      account: 'eu',
      state: 'down',
      since: 0,
      cause: '503',
      probes: 1,
      waiting: 2,
    })
    gate.report(a.admission!, 'outage', '502')
    const again = admit() // the failed probe's batch waits again, at the back
    scheduler.flush()
    await settled()
    expect(b.admission).toEqual({ _tag: 'Go', probe: true })
    gate.report(b.admission!, 'up', '200')
    await settled()
    expect([c.admission, again.admission]).toEqual([GO, GO])
    expect(transitions.at(-1)).toEqual({
      account: 'eu',
      state: 'up',
      at: scheduler.now(),
      cause: 'recovered',
      outageMs: scheduler.now(),
      probes: 2,
    })
    expect(gate.health()).toEqual({
      account: 'eu',
      state: 'up',
      since: scheduler.now(),
      probes: 0,
      waiting: 0,
    })
  })

  it('probes on a backoff whose ceiling doubles up to probeMaxDelayMs, never sooner than half of it', async () => {
    const { scheduler, gate, admit } = setup({
      failuresToOpen: 1,
      probeBaseDelayMs: 1_000,
      probeMaxDelayMs: 30_000,
    })
    gate.report(GO, 'outage', '503')
    const probeTimes: number[] = []
    for (let i = 0; i < 10; i++) {
      const waiting = admit()
      scheduler.flush()
      await settled()
      probeTimes.push(scheduler.now())
      gate.report(waiting.admission!, 'outage', '503')
    }
    const gaps = probeTimes.map((t, i) => t - (probeTimes[i - 1] ?? 0))
    // random 0.5 → three quarters of each ceiling: 1, 2, 4, 8, 16, 30, 30 … seconds.
    expect(gaps).toEqual([750, 1_500, 3_000, 6_000, 12_000, 22_500, 22_500, 22_500, 22_500, 22_500])
  })

  it('with maxOutageMs gives waiting and new requests up, and still probes so the account can come back', async () => {
    const { scheduler, gate, admit } = setup({
      failuresToOpen: 1,
      maxOutageMs: 60_000,
      probeMaxDelayMs: 100_000,
    })
    gate.report(GO, 'outage', '503')
    const waiting = admit()
    scheduler.flush() // the probe at 750 goes to `waiting`; the give-up timer runs at 60 s with nobody left
    await settled()
    const probe = waiting.admission!
    expect(probe).toEqual({ _tag: 'Go', probe: true })
    expect(scheduler.now()).toBe(60_000)
    await expect(gate.admit(new AbortController().signal)).resolves.toEqual({
      _tag: 'GiveUp',
      downMs: 60_000,
      cause: '503',
    })
    gate.report(probe, 'outage', '504')
    scheduler.flush() // the next probe is due; nobody waits for it
    await settled()
    const next = admit()
    await settled()
    expect(next.admission).toEqual({ _tag: 'Go', probe: true })
    gate.report(next.admission!, 'up', '200')
    expect(gate.isDown).toBe(false)
    await expect(gate.admit(new AbortController().signal)).resolves.toEqual(GO)
  })
})
