import { readFileSync } from 'node:fs'
import { type Either, left, right } from 'fp-ts/lib/Either.js'

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
