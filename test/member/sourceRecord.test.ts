import { describe, expect, it } from 'vitest'
import { isLive, keyBytes, OPEN_LEASE, sourceRecordOf } from '../../src/member/sourceRecord.js'

const fetched = (key: Buffer | null) => ({ offset: '1045', timestamp: '1764407643120', key, value: null })

describe('sourceRecordOf', () => {
  it('carries a UTF-8 key as text, a binary key as base64, and no key as null', () => {
    expect(sourceRecordOf('scans', 3, fetched(Buffer.from('scn-000123')))).toEqual({
      topic: 'scans',
      partition: 3,
      offset: '1045',
      timestamp: '1764407643120',
      key: 'scn-000123',
      value: null,
      lease: OPEN_LEASE,
    })
    expect(sourceRecordOf('scans', 3, fetched(null)).key).toBeNull()
    const binary = sourceRecordOf('scans', 3, fetched(Buffer.from([0xff, 0x00])))
    expect([binary.key, binary.keyEncoding]).toEqual(['/wA=', 'base64'])
  })

  it('restores the exact key bytes from either form', () => {
    for (const key of [Buffer.from('scn-1'), Buffer.from([0xff, 0x00, 0x80]), null]) {
      expect(keyBytes(sourceRecordOf('t', 0, fetched(key)))).toEqual(key)
    }
  })

  it('is live while its lease is not revoked, and always without a lease', () => {
    const lease = { revoked: false }
    const record = sourceRecordOf('t', 0, fetched(null), lease)
    expect(isLive(record)).toBe(true)
    lease.revoked = true
    expect(isLive(record)).toBe(false)
    expect(isLive({})).toBe(true)
  })
})
