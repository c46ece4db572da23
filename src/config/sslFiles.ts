import { readFileSync } from 'node:fs'
import { type Either, left, right } from 'fp-ts/lib/Either.js'
import { isSecretKey } from '../redact.js'
import { Secret } from '../secret.js'

/** `kafka.ssl` as written: `true`/`false`, or `tls.connect` options with, perhaps, our `caFile`. */
export type SslSetting = boolean | Readonly<Record<string, unknown>>

/**
 * `kafka.ssl` with its `caFile` read into `ca` (the PEM text itself, as `tls.connect` wants it), or the one
 * problem line saying why the file cannot be read. A relative path is taken from the working directory.
 * Setting a CA (either way) replaces Node's built-in roots for the Kafka connection, as `tls.connect` does.
 */
export const readSslFiles = (ssl: SslSetting): Either<string, SslSetting> => {
  if (typeof ssl === 'boolean' || ssl['caFile'] === undefined) return right(ssl)
  const { caFile, ...tlsOptions } = ssl
  const path = String(caFile)
  let ca: string
  try {
    ca = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error'
    return left(`kafka.ssl.caFile: cannot read ${JSON.stringify(path)} (${code})`)
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
    return left(
      `kafka.ssl.caFile: ${JSON.stringify(path)} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    )
  }
  return right({ ...tlsOptions, ca })
}

// In Node's TLS options `key` and `pfx` are private keys (PEM or PKCS#12) and `passphrase` unlocks them.
export const isTlsSecretKey = (key: string): boolean => key === 'key' || key === 'pfx' || isSecretKey(key)

/**
 * `kafka.ssl` as the resolved config keeps it: every string under a private-key or passphrase option (at any
 * depth: `key: [{ pem, passphrase }]` is allowed) held in a {@link Secret}, so `util.inspect(config)` and
 * `JSON.stringify(config)` show neither. Certificates and CAs are public and stay text.
 */
export const hideTlsSecrets = (ssl: Readonly<Record<string, unknown>>): Record<string, unknown> =>
  mapStrings(ssl, false, (text, secret) => (secret ? new Secret(text) : text)) as Record<string, unknown>

/** The TLS options with their secrets revealed, for `tls.connect` (kafkajs) and nothing else. */
export const revealTlsSecrets = (ssl: SslSetting): SslSetting =>
  typeof ssl === 'boolean' ? ssl : (mapStrings(ssl, false, (text) => text) as Record<string, unknown>)

const mapStrings = (
  value: unknown,
  underSecretKey: boolean,
  onString: (text: string, secret: boolean) => unknown,
): unknown => {
  // A Secret is its text to this walk: hiding twice keeps it hidden, revealing unwraps it.
  if (typeof value === 'string') return onString(value, underSecretKey)
  if (value instanceof Secret) return onString(value.reveal(), underSecretKey)
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, underSecretKey, onString))
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value)) return value
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      mapStrings(item, underSecretKey || isTlsSecretKey(key), onString),
    ]),
  )
}
