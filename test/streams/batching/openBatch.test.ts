import { describe, expect, it } from 'vitest'
import { batchKeyOf, batchKeyString } from '../../../src/streams/batching/batchKey.js'
import { OpenBatch } from '../../../src/streams/batching/openBatch.js'
import { EMPTY_REQUEST_BYTES, requestBytes } from '../../../src/streams/batching/requestBytes.js'
import { attendance } from './recordFixtures.js'

const openFor = (record = attendance()): OpenBatch => {
  const key = batchKeyOf(record)
  return new OpenBatch(key, batchKeyString(key), 0)
}

describe('OpenBatch byte accounting', () => {
  it('starts at the size of an empty body', () => {
    expect(EMPTY_REQUEST_BYTES).toBe(requestBytes([]))
    expect(openFor().bytes).toBe(13)
  })

  it('keeps the running total equal to the stringified body, through merges that grow and shrink an input', () => {
    const batch = openFor()
    const steps = [
      attendance({ contact: { vid: 1 }, properties: { joinedAt: '1000' } }),
      attendance({ contact: { vid: 2 }, properties: { note: 'ünïcødé ✓ 🎟' } }),
      attendance({ contact: { vid: 1 }, properties: { joinedAt: '9' } }),
      attendance({ contact: { vid: 1 }, properties: { leftAt: '123456789' } }),
      attendance({ contact: { vid: 3 }, interactionDateTime: 1 }),
    ]
    for (const record of steps) {
      const plan = batch.plan(record)
      expect(plan.bytes).toBe(
        requestBytes(
          plan.slot === undefined ? [...batch.inputs, plan.input] : swap(batch, plan.slot, plan.input),
        ),
      )
      batch.commit(plan)
      expect(batch.bytes).toBe(requestBytes(batch.inputs))
    }
    expect(batch.contacts).toBe(3)
    expect(batch.records).toEqual(steps)
  })

  it('counts contacts by identity, emails case-insensitively', () => {
    const batch = openFor(attendance({ contact: { email: 'a@b.c' } }))
    for (const email of ['Ada@X.io', 'ada@x.io', 'ADA@x.IO', 'bob@x.io']) {
      batch.commit(batch.plan(attendance({ contact: { email } })))
    }
    expect(batch.contacts).toBe(2)
    expect(batch.inputs.map((input) => ('email' in input ? input.email : input.vid))).toEqual([
      'Ada@X.io',
      'bob@x.io',
    ])
  })
})

const swap = (batch: OpenBatch, slot: number, input: OpenBatch['inputs'][number]) =>
  batch.inputs.map((existing, index) => (index === slot ? input : existing))
