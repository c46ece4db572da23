import type { Secret } from '../../secret.js'
import type { BrokerCertificates, CertificateTool } from './brokerCertificates.js'

/** The SASL mechanisms the embedded broker's SASL_SSL listener offers (as `kafka.sasl.mechanism` spells them). */
export const SASL_SSL_MECHANISMS = ['scram-sha-512', 'plain'] as const

/** A user of the SASL_SSL listener; the same shape as `kafka.sasl` in a pipeline config. */
export interface SaslSslUser {
  readonly mechanism: (typeof SASL_SSL_MECHANISMS)[number]
  readonly username: string
  readonly password: string | Secret
}

/** A SASL_SSL listener for clients, besides the plaintext one (see `LocalKafkaBrokerOptions.saslSsl`). */
export interface SaslSslOptions {
  /** Who may log in, and how. SCRAM credentials are written when the storage is formatted. At least one. */
  readonly users: readonly SaslSslUser[]
  /** How the CA and broker certificate are made; default openssl when on the PATH, else the JDK's keytool. */
  readonly certificateTool?: CertificateTool
}

/** Where clients reach the SASL_SSL listener, and the CA that signed its certificate. */
export interface SaslSslListener {
  /** `host:port` bootstrap addresses of the SASL_SSL listener. */
  readonly brokers: readonly string[]
  /** The CA certificate (PEM) to trust: `kafka.ssl.ca` in a config, or `ssl: { ca }` for kafkajs. */
  readonly caPem: string
  /** The same PEM as a file in the broker's temp folder (`kafka.ssl.caFile`); removed by `stop()`. */
  readonly caFile: string
}

// The listener's name is also the prefix of its own settings (`listener.name.sasl_ssl.…`).
const LISTENER = 'SASL_SSL'
const PREFIX = `listener.name.${LISTENER.toLowerCase()}`

// Names and passwords go into a JAAS line (`user_<name>="<password>"`) and into StorageTool's
// `SCRAM-SHA-512=[name=…,password=…]`: quotes, backslashes, brackets, commas, '=' and spaces would break either.
const SAFE = /^[A-Za-z0-9._~!@#$%^&*()+:;?/-]+$/

/** Why these users cannot be set up on the listener, or undefined when they can. Never echoes a password. */
export const saslSslUsersProblem = (users: readonly SaslSslUser[]): string | undefined => {
  if (users.length === 0) return 'saslSsl.users: at least one user is needed'
  for (const [index, user] of users.entries()) {
    if (!SASL_SSL_MECHANISMS.includes(user.mechanism))
      return `saslSsl.users[${index}].mechanism: expected one of ${SASL_SSL_MECHANISMS.join(', ')}`
    if (!SAFE.test(user.username))
      return `saslSsl.users[${index}].username: letters, digits and ._~!@#$%^&*()+:;?/- only`
    if (!SAFE.test(reveal(user.password)))
      return `saslSsl.users[${index}].password: letters, digits and ._~!@#$%^&*()+:;?/- only`
  }
  return undefined
}

/** `listeners`, `advertised.listeners` and `listener.security.protocol.map` entries of the listener. */
export const saslSslListenerEntries = (port: number) => ({
  listener: `${LISTENER}://127.0.0.1:${port}`,
  protocol: `${LISTENER}:SASL_SSL`,
})

/**
 * The broker settings of the listener: its mechanisms, a JAAS line per mechanism (PLAIN users and their
 * passwords live there; SCRAM users in the cluster metadata), and the keystore. Clients are not asked for a
 * certificate (`ssl.client.auth=none`): the SASL login is their identity, as on MSK and Confluent Cloud.
 */
export const saslSslProperties = (
  users: readonly SaslSslUser[],
  certificates: BrokerCertificates,
): string[] => {
  const scram = users.filter((user) => user.mechanism === 'scram-sha-512')
  const plain = users.filter((user) => user.mechanism === 'plain')
  return [
    `${PREFIX}.sasl.enabled.mechanisms=${[...(scram.length > 0 ? ['SCRAM-SHA-512'] : []), ...(plain.length > 0 ? ['PLAIN'] : [])].join(',')}`,
    ...(scram.length > 0
      ? [
          `${PREFIX}.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`,
        ]
      : []),
    ...(plain.length > 0
      ? [
          `${PREFIX}.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required ${plain
            .map((user) => `user_${user.username}="${reveal(user.password)}"`)
            .join(' ')};`,
        ]
      : []),
    `${PREFIX}.ssl.keystore.type=PKCS12`,
    `${PREFIX}.ssl.keystore.location=${certificates.keystoreFile}`,
    `${PREFIX}.ssl.keystore.password=${certificates.keystorePassword}`,
    `${PREFIX}.ssl.key.password=${certificates.keystorePassword}`,
    `${PREFIX}.ssl.client.auth=none`,
  ]
}

/** StorageTool `format` arguments that store the SCRAM-SHA-512 users' credentials before the first start. */
export const scramFormatArguments = (users: readonly SaslSslUser[]): string[] =>
  users
    .filter((user) => user.mechanism === 'scram-sha-512')
    .flatMap((user) => [
      '--add-scram',
      `SCRAM-SHA-512=[name=${user.username},password=${reveal(user.password)}]`,
    ])

const reveal = (password: string | Secret): string =>
  typeof password === 'string' ? password : password.reveal()
