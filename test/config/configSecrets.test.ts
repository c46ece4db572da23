import { inspect } from 'node:util'
import { isRight } from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { configSecrets } from '../../src/config/configSecrets.js'
import { resolvePipelineConfig } from '../../src/config/pipelineConfig.js'
import { SslOption } from '../../src/config/rules.js'
import { kafkaConfigOf } from '../../src/streams/kafkaClientConfig.js'

const TOPICS = { brokers: ['k:9092'], groupId: 'g', inputTopics: ['in'], resultsTopic: 'r', errorsTopic: 'e' }

describe('configSecrets', () => {
  it('reveals every secret of a resolved config: tokens, the SASL password, TLS private keys and passphrases', () => {
    const resolved = resolvePipelineConfig({
      kafka: {
        ...TOPICS,
        sasl: { mechanism: 'plain', username: 'u', password: 'sasl-pass' },
        ssl: { passphrase: 'tls-pass', key: 'PEM-KEY', cert: 'PEM-CERT', ca: ['PEM-CA'] },
      },
      hubspot: { accounts: { a: { token: 'tok-a' }, b: { token: 'tok-b' } }, defaultAccount: 'a' },
    })
    if (!isRight(resolved)) throw new Error(resolved.left.join('\n'))
    expect(configSecrets(resolved.right)).toEqual(['tok-a', 'tok-b', 'sasl-pass', 'tls-pass', 'PEM-KEY'])
  })

  it('holds TLS private keys and passphrases as Secrets: inspect and JSON show neither, kafkajs gets both', () => {
    const resolved = resolvePipelineConfig({
      kafka: {
        ...TOPICS,
        ssl: {
          passphrase: 'tls-pass',
          key: [{ pem: 'PEM-KEY-1', passphrase: 'key-pass' }, 'PEM-KEY-2'],
          pfx: 'PFX-BYTES',
          cert: 'PEM-CERT',
          ca: ['PEM-CA'],
        },
      },
      hubspot: { accounts: { a: { token: 'tok-a' } }, defaultAccount: 'a' },
    })
    if (!isRight(resolved)) throw new Error(resolved.left.join('\n'))
    const hidden = ['tls-pass', 'PEM-KEY-1', 'key-pass', 'PEM-KEY-2', 'PFX-BYTES']
    for (const shown of [inspect(resolved.right, { depth: null }), JSON.stringify(resolved.right)]) {
      for (const secret of hidden) expect(shown).not.toContain(secret)
      // Certificates are public: they stay readable, so an operator can see which CA is configured.
      expect(shown).toContain('PEM-CERT')
    }
    expect(kafkaConfigOf(resolved.right).ssl).toEqual({
      passphrase: 'tls-pass',
      key: [{ pem: 'PEM-KEY-1', passphrase: 'key-pass' }, 'PEM-KEY-2'],
      pfx: 'PFX-BYTES',
      cert: 'PEM-CERT',
      ca: ['PEM-CA'],
    })
    expect(configSecrets(resolved.right).sort()).toEqual(['tok-a', ...hidden].sort())
    // Decoding the resolved options again (a config handed back to the codec) keeps them hidden.
    const again = SslOption.decode(resolved.right.kafka.ssl)
    if (!isRight(again)) throw new Error('the resolved ssl options no longer decode')
    for (const secret of hidden) expect(JSON.stringify(again.right)).not.toContain(secret)
  })
})
