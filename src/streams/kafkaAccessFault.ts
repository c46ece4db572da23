import { AttendanceStreamError } from '../errors.js'

// OpenSSL's verification failures as Node reports them (`err.code`), and Node's own host-name check: each means
// the broker's certificate is not one this client trusts, which no retry changes.
const UNTRUSTED_CERTIFICATE_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

/** Whether a socket error code says the peer's certificate failed verification. */
export const isUntrustedCertificateCode = (code: unknown): code is string =>
  typeof code === 'string' && UNTRUSTED_CERTIFICATE_CODES.has(code)

/** The fault of a broker whose certificate failed verification with this code and message. */
export const untrustedCertificateFault = (
  broker: string,
  code: string,
  detail: string,
): AttendanceStreamError =>
  new AttendanceStreamError(
    'KAFKA_CERTIFICATE_UNTRUSTED',
    `Kafka broker ${broker}: TLS certificate not trusted (${code}: ${detail}); set kafka.ssl.caFile (or ca) ` +
      'to the CA that signed it',
    { context: { broker, tlsCode: code } },
  )

/**
 * What a failed Kafka connection means when retrying cannot fix it: the SASL login was refused
 * (`KAFKA_AUTHENTICATION_FAILED`) or the broker's certificate is not trusted (`KAFKA_CERTIFICATE_UNTRUSTED`).
 * Looks through the causes kafkajs (and the member) wrap errors in; undefined for any other error. The
 * messages name the cause and the setting to fix, and never hold a password (kafkajs's do not either).
 */
export const kafkaAccessFault = (error: unknown): AttendanceStreamError | undefined => {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; depth++) {
    if (current instanceof AttendanceStreamError && isAccessCode(current.code)) return current
    if (current.name === 'KafkaJSSASLAuthenticationError') {
      return new AttendanceStreamError(
        'KAFKA_AUTHENTICATION_FAILED',
        `Kafka authentication failed: ${current.message}; check kafka.sasl (mechanism, username, password)`,
        { cause: current },
      )
    }
    const { code, broker } = current as Error & { code?: unknown; broker?: unknown }
    if (current.name === 'KafkaJSConnectionError' && isUntrustedCertificateCode(code)) {
      return untrustedCertificateFault(
        typeof broker === 'string' ? broker : 'unknown',
        code,
        current.message.replace(/^Connection error: /, ''),
      )
    }
    current = current.cause
  }
  return undefined
}

const isAccessCode = (code: string): boolean =>
  code === 'KAFKA_AUTHENTICATION_FAILED' || code === 'KAFKA_CERTIFICATE_UNTRUSTED'
