import { isRight } from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { configSecrets, createRedactor, isSecretKey, secretsIn } from '../../src/cli/redact.js'
import { resolvePipelineConfig } from '../../src/config/pipelineConfig.js'

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

describe('secretsIn and configSecrets', () => {
  it('find the strings under credential-named keys and the secrets of a resolved config', () => {
    expect(secretsIn({ a: { token: 't1', list: [{ password: 'p1' }] }, token2: ['t2'], name: 'n' })).toEqual([
      't1',
      'p1',
      't2',
    ])
    const resolved = resolvePipelineConfig({
      kafka: {
        brokers: ['k:9092'],
        groupId: 'g',
        inputTopics: ['in'],
        resultsTopic: 'r',
        errorsTopic: 'e',
        sasl: { mechanism: 'plain', username: 'u', password: 'sasl-pass' },
        ssl: { passphrase: 'tls-pass', key: 'PEM-KEY', cert: 'PEM-CERT', ca: ['PEM-CA'] },
      },
      hubspot: { accounts: { a: { token: 'tok-a' }, b: { token: 'tok-b' } }, defaultAccount: 'a' },
    })
    if (!isRight(resolved)) throw new Error(resolved.left.join('\n'))
    expect(configSecrets(resolved.right)).toEqual(['tok-a', 'tok-b', 'sasl-pass', 'tls-pass', 'PEM-KEY'])
  })
})
