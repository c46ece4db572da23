import { describe, expect, it } from 'vitest'
import { createRedactor, isSecretKey, secretsIn } from '../src/redact.js'

describe('createRedactor', () => {
  it('replaces every occurrence of every secret, longest first', () => {
    const redact = createRedactor(['abc', 'abcdef', ''])
    expect(redact('x abcdef y abc z abcabc')).toBe('x [REDACTED] y [REDACTED] z [REDACTED][REDACTED]')
  })

  it('matches secrets case-insensitively, and treats their characters literally', () => {
    const redact = createRedactor(['Pat-Na1-AbC', 'a.b*c(d)'])
    expect(redact('level pat-na1-abc / PAT-NA1-ABC / a.b*c(d) / aXbbc(d)')).toBe(
      'level [REDACTED] / [REDACTED] / [REDACTED] / aXbbc(d)',
    )
  })

  it('learns secrets added later, and catches bearer credentials and HubSpot token shapes unasked', () => {
    const redact = createRedactor()
    expect(redact('Authorization: Bearer eyJhbGciOi.abc')).toBe('Authorization: Bearer [REDACTED]')
    expect(redact('token pat-eu1-0a1b2c3d-1111-2222-3333-444455556666 used')).toBe('token [REDACTED] used')
    redact.add(['runtime-secret'])
    expect(redact('got runtime-secret')).toBe('got [REDACTED]')
  })
})

describe('isSecretKey', () => {
  it('matches credential-like names and not ordinary ones', () => {
    for (const key of [
      'token',
      'accessToken',
      'Authorization',
      'password',
      'passphrase',
      'x-api-key',
      'privateKey',
    ]) {
      expect(isSecretKey(key)).toBe(true)
    }
    for (const key of ['key', 'keyEncoding', 'topic', 'offset', 'account'])
      expect(isSecretKey(key)).toBe(false)
  })
})

describe('secretsIn', () => {
  it('finds the strings under credential-named keys, at any depth', () => {
    expect(secretsIn({ a: { token: 't1', list: [{ password: 'p1' }] }, token2: ['t2'], name: 'n' })).toEqual([
      't1',
      'p1',
      't2',
    ])
  })
})
