import { isIP } from 'node:net'
import { type ConnectionOptions, connect } from 'node:tls'
import type { KafkaConfig } from 'kafkajs'
import type { AttendanceStreamError } from '../errors.js'
import { isUntrustedCertificateCode, untrustedCertificateFault } from './kafkaAccessFault.js'

/**
 * One TLS handshake with the first bootstrap broker that answers, with the client's own TLS options: the
 * fault when the broker's certificate is not trusted, otherwise undefined (trusted, plaintext, or no broker
 * answered — kafkajs reports unreachable brokers itself).
 *
 * Why: kafkajs turns a failed certificate check into a retriable connection error and retries it for
 * seconds (5 times by default, on every client), while the answer can only change with the configuration.
 * Checked first, it becomes one error at once.
 */
export const checkBrokerCertificate = async (
  kafka: Pick<KafkaConfig, 'brokers' | 'ssl'>,
  timeoutMs = 10_000,
): Promise<AttendanceStreamError | undefined> => {
  if (kafka.ssl === undefined || kafka.ssl === false || !Array.isArray(kafka.brokers)) return undefined
  const tlsOptions: ConnectionOptions = kafka.ssl === true ? {} : kafka.ssl
  for (const broker of kafka.brokers) {
    const verdict = await handshake(broker, tlsOptions, timeoutMs)
    if (verdict !== 'unreachable') return verdict
  }
  return undefined
}

const handshake = (
  broker: string,
  tlsOptions: ConnectionOptions,
  timeoutMs: number,
): Promise<AttendanceStreamError | undefined | 'unreachable'> =>
  new Promise((resolve) => {
    const separator = broker.lastIndexOf(':')
    const host = broker.slice(0, separator).replace(/^\[(.*)\]$/, '$1')
    const port = Number(broker.slice(separator + 1))
    // As kafkajs does: SNI only for host names (RFC 6066 forbids an IP address there).
    const socket = connect({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ...tlsOptions })
    const settle = (verdict: AttendanceStreamError | undefined | 'unreachable') => {
      socket.destroy()
      resolve(verdict)
    }
    socket.setTimeout(timeoutMs, () => settle('unreachable'))
    socket.once('secureConnect', () => settle(undefined))
    socket.once('error', (error: NodeJS.ErrnoException) =>
      settle(
        isUntrustedCertificateCode(error.code)
          ? untrustedCertificateFault(broker, error.code, error.message)
          : 'unreachable',
      ),
    )
  })
