import { isLeft } from 'fp-ts/lib/Either.js'
import { type KafkaConfig, logLevel, type SASLOptions } from 'kafkajs'
import type { PipelineConfig } from '../config/pipelineConfig.js'
import { readSslFiles, revealTlsSecrets } from '../config/sslFiles.js'
import { AttendanceStreamError } from '../errors.js'

/**
 * The kafkajs client settings of a pipeline config: TLS options as written (a `caFile` read into `ca`, private
 * keys and passphrases revealed) and the SASL options with the password revealed from its `Secret`, here and
 * nowhere else.
 */
export const kafkaConfigOf = (config: Pick<PipelineConfig, 'kafka'>): KafkaConfig => {
  const ssl = config.kafka.ssl === undefined ? undefined : readSslFiles(revealTlsSecrets(config.kafka.ssl))
  if (ssl !== undefined && isLeft(ssl)) throw new AttendanceStreamError('INVALID_CONFIG', ssl.left)
  return {
    clientId: config.kafka.clientId,
    brokers: [...config.kafka.brokers],
    logLevel: logLevel.WARN,
    ...(ssl === undefined ? {} : { ssl: ssl.right as KafkaConfig['ssl'] }),
    ...(config.kafka.sasl === undefined
      ? {}
      : { sasl: { ...config.kafka.sasl, password: config.kafka.sasl.password.reveal() } as SASLOptions }),
  }
}
