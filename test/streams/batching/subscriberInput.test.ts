import { describe, expect, it } from 'vitest'
import { mergeSubscriberInput, toSubscriberInput } from '../../../src/streams/batching/subscriberInput.js'
import { attendance } from './recordFixtures.js'

describe('toSubscriberInput', () => {
  it('builds a vid input without contactProperties', () => {
    const record = attendance({
      contact: { vid: 7 },
      interactionDateTime: 100,
      properties: { joinedAt: '100' },
      contactProperties: { firstname: 'Ada' },
    })
    expect(toSubscriberInput(record)).toStrictEqual({
      vid: 7,
      interactionDateTime: 100,
      properties: { joinedAt: '100' },
    })
  })

  it('builds an email input with contactProperties, copying the maps', () => {
    const record = attendance({
      contact: { email: 'Ada@Example.com' },
      interactionDateTime: 5,
      contactProperties: { firstname: 'Ada' },
    })
    const input = toSubscriberInput(record)
    expect(input).toStrictEqual({
      email: 'Ada@Example.com',
      interactionDateTime: 5,
      properties: {},
      contactProperties: { firstname: 'Ada' },
    })
    expect(input.properties).not.toBe(record.properties)
    expect('contactProperties' in input && input.contactProperties).not.toBe(record.contactProperties)
  })
})

describe('mergeSubscriberInput', () => {
  it('lets the newest input of a contact win: register@0, cancel@1000, register@2000 carry 2000 when merged', () => {
    const merged = [1000, 2000].reduce(
      (input, at) =>
        mergeSubscriberInput(input, attendance({ contact: { vid: 1 }, interactionDateTime: at })),
      toSubscriberInput(attendance({ contact: { vid: 1 }, interactionDateTime: 0 })),
    )
    expect(merged.interactionDateTime).toBe(2000)
    const outOfOrder = mergeSubscriberInput(
      toSubscriberInput(attendance({ contact: { vid: 1 }, interactionDateTime: 2000 })),
      attendance({ contact: { vid: 1 }, interactionDateTime: 1000 }),
    )
    expect(outOfOrder.interactionDateTime).toBe(2000)
  })

  it('keeps the latest interactionDateTime, the earliest joinedAt and the latest leftAt, numerically', () => {
    const first = toSubscriberInput(
      attendance({
        contact: { vid: 1 },
        interactionDateTime: 900,
        properties: { joinedAt: '900', leftAt: '950' },
      }),
    )
    const merged = mergeSubscriberInput(
      first,
      attendance({
        contact: { vid: 1 },
        interactionDateTime: 80,
        properties: { joinedAt: '80', leftAt: '1000' },
      }),
    )
    // '80' > '900' as strings: the comparison must be numeric.
    expect(merged).toStrictEqual({
      vid: 1,
      interactionDateTime: 900,
      properties: { joinedAt: '80', leftAt: '1000' },
    })
  })

  it('takes a joinedAt or leftAt only one side has', () => {
    const first = toSubscriberInput(attendance({ contact: { vid: 1 }, properties: { joinedAt: '10' } }))
    const merged = mergeSubscriberInput(
      first,
      attendance({ contact: { vid: 1 }, properties: { leftAt: '20' } }),
    )
    expect(merged.properties).toStrictEqual({ joinedAt: '10', leftAt: '20' })
  })

  it('prefers a numeric timestamp over one that is not, and keeps the first when neither is', () => {
    const first = toSubscriberInput(attendance({ properties: { joinedAt: 'soon', leftAt: 'x' } }))
    const merged = mergeSubscriberInput(first, attendance({ properties: { joinedAt: '30', leftAt: 'y' } }))
    expect(merged.properties).toStrictEqual({ joinedAt: '30', leftAt: 'x' })
    const back = mergeSubscriberInput(
      toSubscriberInput(attendance({ properties: { joinedAt: '30' } })),
      attendance({ properties: { joinedAt: 'soon' } }),
    )
    expect(back.properties).toStrictEqual({ joinedAt: '30' })
  })

  it('keeps other properties first seen and lets the later record win contactProperties', () => {
    const first = toSubscriberInput(
      attendance({
        contact: { email: 'Ada@Example.com' },
        properties: { gate: 'A' },
        contactProperties: { firstname: 'Ada', company: 'Old' },
      }),
    )
    const later = attendance({
      contact: { email: 'ada@example.com' },
      properties: { gate: 'B', hall: '2' },
      contactProperties: { company: 'New', lastname: 'Lovelace' },
    })
    expect(mergeSubscriberInput(first, later)).toStrictEqual({
      email: 'Ada@Example.com',
      interactionDateTime: first.interactionDateTime,
      properties: { gate: 'A', hall: '2' },
      contactProperties: { firstname: 'Ada', company: 'New', lastname: 'Lovelace' },
    })
  })
})
