import { describe, expect, it } from 'vitest'
import { Secret } from '../../../src/secret.js'
import {
  saslSslProperties,
  saslSslUsersProblem,
  scramFormatArguments,
} from '../../../src/testing/kafka/saslSslListener.js'

const certificates = {
  caPem: '',
  caFile: '/tmp/x/ca.pem',
  keystoreFile: '/tmp/x/broker.p12',
  keystorePassword: 'ks',
}
const scram = { mechanism: 'scram-sha-512', username: 'svc-scram', password: new Secret('s3cret-A') } as const
const plain = { mechanism: 'plain', username: 'svc-plain', password: 'p1ain-B' } as const

describe('the embedded broker SASL_SSL listener settings', () => {
  it('enables only the mechanisms its users have, PLAIN users in the JAAS line, SCRAM ones at format time', () => {
    expect(saslSslProperties([scram, plain], certificates)).toEqual([
      'listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN',
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_svc-plain="p1ain-B";',
      'listener.name.sasl_ssl.ssl.keystore.type=PKCS12',
      'listener.name.sasl_ssl.ssl.keystore.location=/tmp/x/broker.p12',
      'listener.name.sasl_ssl.ssl.keystore.password=ks',
      'listener.name.sasl_ssl.ssl.key.password=ks',
      'listener.name.sasl_ssl.ssl.client.auth=none',
    ])
    expect(saslSslProperties([plain], certificates)[0]).toBe(
      'listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN',
    )
    expect(scramFormatArguments([scram, plain])).toEqual([
      '--add-scram',
      'SCRAM-SHA-512=[name=svc-scram,password=s3cret-A]',
    ])
  })

  it('refuses what would break the JAAS line or the format argument, naming the field but not the password', () => {
    expect(saslSslUsersProblem([])).toBe('saslSsl.users: at least one user is needed')
    expect(saslSslUsersProblem([{ ...plain, password: 'has"quote' }])).toBe(
      'saslSsl.users[0].password: letters, digits and ._~!@#$%^&*()+:;?/- only',
    )
    expect(saslSslUsersProblem([scram, { ...plain, username: 'a,b' }])).toMatch(
      /^saslSsl\.users\[1\]\.username: /,
    )
    expect(saslSslUsersProblem([scram, plain])).toBeUndefined()
  })
})
