import { isSecretKey, secretsIn } from '../redact.js'
import type { PipelineConfig } from './pipelineConfig.js'

// In Node's TLS options `key` and `pfx` are private keys (PEM or PKCS#12), whatever the generic rule says.
const TLS_SECRET_KEY = (key: string) => key === 'key' || key === 'pfx' || isSecretKey(key)

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
  ...secretsIn(config.kafka.ssl, TLS_SECRET_KEY),
]
