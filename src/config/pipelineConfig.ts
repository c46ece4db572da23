import type { Either } from 'fp-ts/lib/Either.js'
import { isLeft, left, right } from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import type { Secret } from '../secret.js'
import { CONFIG_DEFAULTS } from './defaults.js'
import { problemLines } from './problems.js'
import {
  AccountName,
  BATCHING_RULES,
  BearerToken,
  closed,
  HeadroomFraction,
  HostPort,
  HubSpotBaseUrl,
  Instant,
  isPlainObject,
  jsonSchemaOf,
  NonEmptyString,
  NonNegativeInt,
  nonEmptyArray,
  oneOf,
  Port,
  PositiveInt,
  recordOf,
  SecretString,
  SslOption,
  TimeZone,
  TopicName,
  ValueBytes,
  withJsonSchema,
} from './rules.js'

export { CONFIG_DEFAULTS } from './defaults.js'

/**
 * The whole pipeline's configuration: one io-ts codec for what users write (`PipelineConfigInput`), and
 * `resolvePipelineConfig` which decodes it, applies the defaults and checks what spans fields, returning
 * every problem at once with its path (a config with five typos should need one round trip, not five).
 *
 * Unknown keys are rejected, not ignored: a misspelt `maxBatchSzie` silently falling back to its default is
 * the kind of fault that surfaces weeks later as a throughput problem. The only tolerated extra key is a
 * top-level `$schema`, which editors use.
 *
 * Secrets: tokens, OAuth credentials and the SASL password decode into `Secret`s (src/secret.ts), so neither
 * `util.inspect(config)` nor `JSON.stringify(config)` shows them; problem lines name only the kind of a value
 * under `hubspot.accounts`, `kafka.sasl` and `kafka.ssl` (src/config/problems.ts).
 */

// ---------------------------------------------------------------------------------------------------------------
// The codec of what users write.

export const SaslConfigInput = closed(
  'an object { mechanism, username, password }',
  {
    mechanism: oneOf(['plain', 'scram-sha-256', 'scram-sha-512']),
    username: NonEmptyString,
    password: SecretString,
  },
  {},
)

export const KafkaConfigInput = closed(
  'an object',
  {
    brokers: nonEmptyArray(HostPort, 'a non-empty array of host:port strings'),
    groupId: NonEmptyString,
    inputTopics: nonEmptyArray(TopicName, 'a non-empty array of topic names'),
    resultsTopic: TopicName,
    errorsTopic: TopicName,
  },
  {
    clientId: NonEmptyString,
    ssl: SslOption,
    sasl: SaslConfigInput,
    sessionTimeoutMs: PositiveInt,
    fromBeginning: t.boolean,
  },
)

/** The accepted `hubspot.accounts.<name>.apiVersion` values. */
export const HUBSPOT_API_VERSIONS = ['v3', '2026-03', '2026-09'] as const
/** The accepted `hubspot.accounts.<name>.mode` values. */
export const HUBSPOT_WRITE_MODES = ['create', 'upsert'] as const

/** An OAuth app's credentials (contract §5): all three are secrets. */
export const OAuthInput = closed(
  'an object { clientId, clientSecret, refreshToken }',
  { clientId: SecretString, clientSecret: SecretString, refreshToken: SecretString },
  {},
)

const AccountFields = closed(
  'an object { token, … } or { oauth, … }',
  {},
  {
    token: BearerToken,
    oauth: OAuthInput,
    metricsLabel: NonEmptyString,
    baseUrl: HubSpotBaseUrl,
    apiVersion: oneOf(HUBSPOT_API_VERSIONS),
    mode: oneOf(HUBSPOT_WRITE_MODES),
    requestsPer10s: PositiveInt,
    rateLimitHeadroom: HeadroomFraction,
    dailyLimit: PositiveInt,
    maxInFlightRequests: PositiveInt,
    timeZone: TimeZone,
  },
)

/**
 * One account: its fields, and exactly one way to authenticate (`token` or `oauth`). Its JSON Schema refuses
 * both but requires neither: in a file the token is usually absent, coming from `HUBSPOT_TOKEN`.
 */
export const HubSpotAccountInput = withJsonSchema(
  new t.Type<t.TypeOf<typeof AccountFields>, t.TypeOf<typeof AccountFields>, unknown>(
    AccountFields.name,
    AccountFields.is,
    (u, c) => {
      const decoded = AccountFields.validate(u, c)
      if (!isPlainObject(u)) return decoded
      const problems = isLeft(decoded) ? [...decoded.left] : []
      const hasToken = u['token'] !== undefined
      const hasOAuth = u['oauth'] !== undefined
      if (!hasToken && !hasOAuth)
        problems.push({
          value: undefined,
          context: [...c, { key: 'token', type: BearerToken, actual: undefined }],
          message: 'missing, expected a token (or oauth: { clientId, clientSecret, refreshToken })',
        })
      if (hasToken && hasOAuth)
        problems.push({ value: u, context: c, message: 'expected either token or oauth, not both' })
      return problems.length > 0 ? t.failures(problems) : decoded
    },
    t.identity,
  ),
  () => ({ ...jsonSchemaOf(AccountFields), not: { required: ['token', 'oauth'] } }),
)

export const HubSpotConfigInput = closed(
  'an object',
  { accounts: recordOf(AccountName, HubSpotAccountInput, 'an object of accounts by name') },
  {
    defaultAccount: AccountName,
    topicAccounts: recordOf(TopicName, AccountName, 'an object from input topic to account name'),
    maxOutageMs: PositiveInt,
    timeouts: closed(
      'an object',
      {},
      { connectMs: PositiveInt, headersMs: PositiveInt, bodyMs: PositiveInt },
    ),
  },
)

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const

/** The configuration as written (JSON file and environment), before defaults: docs/configuration.md. */
export const PipelineConfigInput = closed(
  'a JSON object',
  { kafka: KafkaConfigInput, hubspot: HubSpotConfigInput },
  {
    batching: closed('an object', {}, BATCHING_RULES),
    retry: closed(
      'an object',
      {},
      {
        baseDelayMs: PositiveInt,
        maxDelayMs: PositiveInt,
        maxAttempts: PositiveInt,
        maxElapsedMs: PositiveInt,
      },
    ),
    limits: closed(
      'an object',
      {},
      {
        maxInFlightRecords: PositiveInt,
        maxValueBytes: ValueBytes,
        drainTimeoutMs: PositiveInt,
        shutdownTimeoutMs: PositiveInt,
        commitIntervalMs: PositiveInt,
      },
    ),
    decode: closed('an object', {}, { notBefore: Instant, maxFutureMs: NonNegativeInt }),
    onConfigFault: oneOf(['stop', 'deadLetter']),
    metrics: closed('an object', {}, { port: Port, host: NonEmptyString }),
    log: closed('an object', {}, { level: oneOf(LOG_LEVELS) }),
  },
  ['$schema'],
)
/** A configuration as written, optional keys still absent. */
export type PipelineConfigInput = t.TypeOf<typeof PipelineConfigInput>
export type HubSpotAccountInput = t.TypeOf<typeof HubSpotAccountInput>

// ---------------------------------------------------------------------------------------------------------------
// Defaults (src/config/defaults.ts). `PipelineConfig` is the type of what `withDefaults` builds, so it cannot
// drift from the codec.

const toEpochMs = (instant: string | number): number =>
  typeof instant === 'number' ? instant : Date.parse(instant)

const resolveAccount = (name: string, account: HubSpotAccountInput) => {
  const d = CONFIG_DEFAULTS.hubspot.account
  return {
    /** A private-app or service-key token; absent when the account uses `oauth`. */
    token: account.token as Secret | undefined,
    /** An OAuth app's credentials, refreshed by the client; absent when the account uses `token`. */
    oauth: account.oauth as t.TypeOf<typeof OAuthInput> | undefined,
    /** The `account` label of this account's metrics. Default: the account's name. */
    metricsLabel: account.metricsLabel ?? name,
    baseUrl: account.baseUrl ?? d.baseUrl,
    apiVersion: account.apiVersion ?? d.apiVersion,
    mode: account.mode ?? d.mode,
    /**
     * Set: the account's allowance per 10 s and a ceiling. Absent: start at `CONFIG_DEFAULTS`' 90 and follow
     * HubSpot's `X-HubSpot-RateLimit-Max` less `rateLimitHeadroom` from the first response on.
     */
    requestsPer10s: account.requestsPer10s as number | undefined,
    rateLimitHeadroom: account.rateLimitHeadroom ?? d.rateLimitHeadroom,
    /** Absent: no daily cap is enforced locally (HubSpot's own 429 DAILY still is). */
    dailyLimit: account.dailyLimit as number | undefined,
    maxInFlightRequests: account.maxInFlightRequests ?? d.maxInFlightRequests,
    /** The account's time zone, where HubSpot's daily limit resets at midnight. Absent: the machine's. */
    timeZone: account.timeZone as string | undefined,
  }
}
/** One resolved `hubspot.accounts.<name>` entry, defaults filled in. */
export type HubSpotAccountConfig = ReturnType<typeof resolveAccount>

const withDefaults = (input: PipelineConfigInput) => {
  const { kafka, hubspot } = input
  const d = CONFIG_DEFAULTS
  return {
    kafka: {
      brokers: kafka.brokers,
      clientId: kafka.clientId ?? d.kafka.clientId,
      groupId: kafka.groupId,
      inputTopics: kafka.inputTopics,
      resultsTopic: kafka.resultsTopic,
      errorsTopic: kafka.errorsTopic,
      ssl: kafka.ssl,
      sasl: kafka.sasl,
      sessionTimeoutMs: kafka.sessionTimeoutMs,
      fromBeginning: kafka.fromBeginning ?? d.kafka.fromBeginning,
    },
    hubspot: {
      // Without a prototype: an account name is user data, and `accounts[name]` must find only accounts.
      accounts: Object.assign(
        Object.create(null) as Record<string, HubSpotAccountConfig>,
        Object.fromEntries(
          Object.entries(hubspot.accounts).map(([name, account]) => [name, resolveAccount(name, account)]),
        ),
      ),
      defaultAccount: hubspot.defaultAccount ?? d.hubspot.defaultAccount,
      /** Input topic → account, for records that name no account. Topics not listed use `defaultAccount`. */
      topicAccounts: Object.assign(Object.create(null) as Record<string, string>, hubspot.topicAccounts),
      /** How long an account's outage may last before its waiting batches fail; absent: no limit. */
      maxOutageMs: hubspot.maxOutageMs,
      timeouts: { ...d.hubspot.timeouts, ...hubspot.timeouts },
    },
    batching: { ...d.batching, ...input.batching },
    retry: { ...d.retry, ...input.retry },
    limits: { ...d.limits, ...input.limits },
    decode: {
      /** Epoch milliseconds. */
      notBefore: toEpochMs(input.decode?.notBefore ?? d.decode.notBefore),
      maxFutureMs: input.decode?.maxFutureMs ?? d.decode.maxFutureMs,
    },
    onConfigFault: input.onConfigFault ?? d.onConfigFault,
    metrics: {
      /** Absent: no HTTP server. 0: an ephemeral port. */
      port: input.metrics?.port as number | undefined,
      host: input.metrics?.host ?? d.metrics.host,
    },
    log: { level: input.log?.level ?? d.log.level },
  }
}
/** A resolved configuration, every default filled in: what `attendancePipeline` takes. */
export type PipelineConfig = ReturnType<typeof withDefaults>

/** Rules that span fields, checked on the resolved config so defaults take part. */
const crossFieldProblems = (config: PipelineConfig): string[] => {
  const problems: string[] = []
  const accounts = Object.keys(config.hubspot.accounts)
  if (accounts.length === 0) problems.push('hubspot.accounts: expected at least one account')
  else if (!accounts.includes(config.hubspot.defaultAccount)) {
    problems.push(
      `hubspot.defaultAccount: "${config.hubspot.defaultAccount}" is not a configured account (${accounts
        .map((a) => JSON.stringify(a))
        .join(', ')})`,
    )
  }
  const named = accounts.map((a) => JSON.stringify(a)).join(', ')
  for (const [topic, account] of Object.entries(config.hubspot.topicAccounts)) {
    if (!accounts.includes(account))
      problems.push(`hubspot.topicAccounts.${topic}: "${account}" is not a configured account (${named})`)
    if (!config.kafka.inputTopics.includes(topic))
      problems.push(`hubspot.topicAccounts.${topic}: "${topic}" is not one of kafka.inputTopics`)
  }
  const labels = new Map<string, string>()
  for (const [name, account] of Object.entries(config.hubspot.accounts)) {
    const other = labels.get(account.metricsLabel)
    if (other !== undefined)
      problems.push(
        `hubspot.accounts.${name}.metricsLabel: "${account.metricsLabel}" is also the label of account "${other}"`,
      )
    labels.set(account.metricsLabel, name)
  }
  for (const key of ['resultsTopic', 'errorsTopic'] as const) {
    if (config.kafka.inputTopics.includes(config.kafka[key])) {
      problems.push(
        `kafka.${key}: "${config.kafka[key]}" is also an input topic; the pipeline would consume its own output`,
      )
    }
  }
  if (config.retry.maxDelayMs < config.retry.baseDelayMs) {
    problems.push(
      `retry.maxDelayMs: expected ≥ retry.baseDelayMs (${config.retry.baseDelayMs}), got ${config.retry.maxDelayMs}`,
    )
  }
  return problems
}

/**
 * Decodes a parsed config (what users write), applies the defaults and checks the rules across fields.
 * Left: every problem, one line each, path first, in a stable order.
 */
export const resolvePipelineConfig = (input: unknown): Either<string[], PipelineConfig> => {
  const decoded = PipelineConfigInput.decode(input)
  if (isLeft(decoded)) return left(problemLines(decoded.left))
  const config = withDefaults(decoded.right)
  const problems = crossFieldProblems(config)
  return problems.length > 0 ? left(problems) : right(config)
}
