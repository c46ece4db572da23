import { secretsIn } from '../redact.js'
import type { PipelineConfig } from './pipelineConfig.js'
import { isTlsSecretKey, revealTlsSecrets } from './sslFiles.js'

/**
 * The secrets of a resolved config, revealed to teach a redactor: every account's token or OAuth credentials,
 * the SASL password, TLS private keys.
 */
export const configSecrets = (config: PipelineConfig): string[] => [
  ...Object.values(config.hubspot.accounts).flatMap((account) => [
    ...(account.token === undefined ? [] : [account.token.reveal()]),
    ...(account.oauth === undefined
      ? []
      : [account.oauth.clientId, account.oauth.clientSecret, account.oauth.refreshToken].map((s) =>
          s.reveal(),
        )),
  ]),
  ...(config.kafka.sasl === undefined ? [] : [config.kafka.sasl.password.reveal()]),
  ...(config.kafka.ssl === undefined ? [] : secretsIn(revealTlsSecrets(config.kafka.ssl), isTlsSecretKey)),
]
