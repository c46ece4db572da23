export type { CertificateTool } from './brokerCertificates.js'
export { freeLoopbackPort } from './freePort.js'
export { DEFAULT_KAFKA_VERSION, type KafkaBroker, type LocalKafkaBroker } from './kafkaBroker.js'
export { defaultCacheDir, ensureKafkaJars } from './kafkaJars.js'
export { type LocalKafkaBrokerOptions, startLocalKafkaBroker } from './localKafkaBroker.js'
export {
  SASL_SSL_MECHANISMS,
  type SaslSslListener,
  type SaslSslOptions,
  type SaslSslUser,
} from './saslSslListener.js'
export { type StartKafkaOptions, startKafka } from './startKafka.js'
export { waitForMetadata } from './waitForMetadata.js'
