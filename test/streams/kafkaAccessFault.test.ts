import {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSSASLAuthenticationError,
} from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { AttendanceStreamError } from '../../src/errors.js'
import { kafkaAccessFault } from '../../src/streams/kafkaAccessFault.js'

// kafkajs's type declarations leave out the constructor arguments its JavaScript takes (message; options).
const SaslAuthenticationError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error
const NonRetriableError = KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error

// The errors as kafkajs 2.2.4 raises them (seen against the embedded SASL_SSL broker) and as the member wraps them.
const refusedLogin = new SaslAuthenticationError(
  'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
)
const connectionError = (code: string, message: string) =>
  new KafkaJSConnectionError(`Connection error: ${message}`, { broker: '127.0.0.1:9093', code })
const afterRetries = (error: Error) =>
  new KafkaJSNumberOfRetriesExceeded(error, { retryCount: 5, retryTime: 1_000 })
const memberStartFailed = (error: Error) =>
  new AttendanceStreamError('KAFKA_UNAVAILABLE', `could not start the member: ${error.message}`, {
    cause: error,
    retryable: true,
  })

describe('kafkaAccessFault', () => {
  it('a refused SASL login, however deeply wrapped, is KAFKA_AUTHENTICATION_FAILED naming kafka.sasl', () => {
    const fault = kafkaAccessFault(
      memberStartFailed(new NonRetriableError(refusedLogin, { cause: refusedLogin })),
    )
    expect(fault?.code).toBe('KAFKA_AUTHENTICATION_FAILED')
    expect(fault?.retryable).toBe(false)
    expect(fault?.message).toBe(
      `Kafka authentication failed: ${refusedLogin.message}; check kafka.sasl (mechanism, username, password)`,
    )
  })

  it('a certificate that failed verification is KAFKA_CERTIFICATE_UNTRUSTED naming the broker, the code and kafka.ssl', () => {
    const fault = kafkaAccessFault(
      afterRetries(
        connectionError('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'),
      ),
    )
    expect(fault?.code).toBe('KAFKA_CERTIFICATE_UNTRUSTED')
    expect(fault?.message).toBe(
      'Kafka broker 127.0.0.1:9093: TLS certificate not trusted (SELF_SIGNED_CERT_IN_CHAIN: self-signed ' +
        'certificate in certificate chain); set kafka.ssl.caFile (or ca) to the CA that signed it',
    )
    expect(fault?.context).toEqual({ broker: '127.0.0.1:9093', tlsCode: 'SELF_SIGNED_CERT_IN_CHAIN' })
    expect(
      kafkaAccessFault(connectionError('ERR_TLS_CERT_ALTNAME_INVALID', 'Hostname/IP does not match'))?.code,
    ).toBe('KAFKA_CERTIFICATE_UNTRUSTED')
  })

  it('passes an access fault through as it is, and leaves every other error alone', () => {
    const untrusted = new AttendanceStreamError('KAFKA_CERTIFICATE_UNTRUSTED', 'not trusted')
    expect(kafkaAccessFault(memberStartFailed(untrusted))).toBe(untrusted)
    expect(
      kafkaAccessFault(afterRetries(connectionError('ECONNREFUSED', 'connect ECONNREFUSED'))),
    ).toBeUndefined()
    expect(kafkaAccessFault(new Error('anything'))).toBeUndefined()
    expect(kafkaAccessFault('not an error')).toBeUndefined()
  })
})
