import { isRight } from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { configSecrets } from '../../src/config/configSecrets.js'
import { resolvePipelineConfig } from '../../src/config/pipelineConfig.js'

describe('configSecrets', () => {
  it('reveals every secret of a resolved config: tokens, the SASL password, TLS private keys and passphrases', () => {
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
