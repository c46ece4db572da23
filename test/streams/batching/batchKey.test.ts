import { describe, expect, it } from 'vitest'
import { batchKeyOf, batchKeyString, recordKeyString } from '../../../src/streams/batching/batchKey.js'
import { attendance } from './recordFixtures.js'

describe('batchKeyOf', () => {
  it('takes account, event with externalAccountId, state and contact kind', () => {
    const record = attendance({
      account: 'portal-2',
      event: { kind: 'external', externalEventId: 'expo', externalAccountId: 'acct-7' },
      subscriberState: 'register',
      contact: { email: 'Ada@Example.com' },
    })
    expect(batchKeyOf(record)).toEqual({
      account: 'portal-2',
      event: { kind: 'external', externalEventId: 'expo', externalAccountId: 'acct-7' },
      subscriberState: 'register',
      contactKind: 'email',
    })
  })

  it('keeps only the fields of the event that make the key', () => {
    const event = { kind: 'object' as const, objectId: '42', extra: 'ignored' }
    expect(batchKeyOf(attendance({ event })).event).toStrictEqual({ kind: 'object', objectId: '42' })
    const external = { kind: 'external' as const, externalEventId: 'e', externalAccountId: undefined }
    expect(batchKeyOf(attendance({ event: external })).event).toStrictEqual({
      kind: 'external',
      externalEventId: 'e',
    })
  })
})

describe('batchKeyString', () => {
  it('is JSON of the ordered tuple', () => {
    const key = batchKeyOf(
      attendance({
        account: 'a',
        event: { kind: 'external', externalEventId: 'e', externalAccountId: 'x' },
        subscriberState: 'cancel',
        contact: { vid: 1 },
      }),
    )
    expect(batchKeyString(key)).toBe('["a","external","e","x","cancel","vid"]')
  })

  it('tells apart keys a separator-joined string would confuse', () => {
    const keys = [
      attendance({ account: 'a|b', event: { kind: 'external', externalEventId: 'c' } }),
      attendance({ account: 'a', event: { kind: 'external', externalEventId: 'b|c' } }),
      attendance({ event: { kind: 'external', externalEventId: 'e' } }),
      attendance({ event: { kind: 'external', externalEventId: 'e', externalAccountId: '' } }),
      attendance({ event: { kind: 'external', externalEventId: 'e', externalAccountId: 'null' } }),
      attendance({ event: { kind: 'object', objectId: 'e' } }),
      attendance({ contact: { email: 'e@x.io' } }),
      attendance({ subscriberState: 'register' }),
    ].map((record) => batchKeyString(batchKeyOf(record)))
    expect(new Set(keys).size).toBe(keys.length)
  })

  it('matches the shortcut computed straight from a record', () => {
    for (const record of [
      attendance({ event: { kind: 'external', externalEventId: 'e', externalAccountId: 'x' } }),
      attendance({ event: { kind: 'object', objectId: '9' }, contact: { email: 'a@b.c' } }),
    ]) {
      expect(recordKeyString(record)).toBe(batchKeyString(batchKeyOf(record)))
    }
  })
})
