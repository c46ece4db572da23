import { describe, expect, it } from 'vitest'
import { SimulatorStore } from '../../../src/testing/simulator/store.js'

describe('SimulatorStore.record', () => {
  const store = () => {
    const s = new SimulatorStore()
    s.addEvent({ objectId: '1', externalEventId: 'expo' })
    return s
  }

  it('keeps one history entry per write: the same state, time and properties again change nothing', () => {
    const s = store()
    expect(
      s.record('1', 7, { state: 'attend', interactionDateTime: 10, properties: { a: '1', b: '2' } }, 0),
    ).toBe(true)
    // The same properties in another key order are the same write.
    expect(
      s.record('1', 7, { state: 'attend', interactionDateTime: 10, properties: { b: '2', a: '1' } }, 1),
    ).toBe(false)
    expect(s.participations()[0]?.history).toHaveLength(1)
  })

  it('records a write that differs in state, time or a property value', () => {
    const s = store()
    const base = { state: 'attend', interactionDateTime: 10, properties: { a: '1' } }
    expect(s.record('1', 7, base, 0)).toBe(true)
    expect(s.record('1', 7, { ...base, state: 'cancel' }, 1)).toBe(true)
    expect(s.record('1', 7, { ...base, interactionDateTime: 11 }, 2)).toBe(true)
    expect(s.record('1', 7, { ...base, properties: { a: '2' } }, 3)).toBe(true)
    expect(s.record('1', 7, { ...base, properties: {} }, 4)).toBe(true)
    // A property value that looks like a separator does not collide with another split of the same text.
    expect(s.record('1', 7, { ...base, properties: { a: '1","b', c: '' } }, 5)).toBe(true)
    expect(s.record('1', 7, { ...base, properties: { a: '1', b: '","c' } }, 6)).toBe(true)
    expect(s.participations()[0]?.history).toHaveLength(7)
  })
})
