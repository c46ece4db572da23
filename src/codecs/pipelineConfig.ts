import type { Either } from 'fp-ts/lib/Either.js'
import { isLeft, left, right } from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { MAX_VALUE_BYTES_LIMIT } from './decodeResult.js'

/**
 * The whole pipeline's configuration: one io-ts codec for what users write (`PipelineConfigInput`), and
 * `resolvePipelineConfig` which decodes it, applies the defaults and checks what spans fields, returning
 * every problem at once with its path (a config with five typos should need one round trip, not five).
 *
 * Unknown keys are rejected, not ignored: a misspelt `maxBatchSzie` silently falling back to its default is
 * the kind of fault that surfaces weeks later as a throughput problem. The only tolerated extra key is a
 * top-level `$schema`, which editors use.
 *
 * Secrets: problem messages echo the offending value so users can see what they wrote, except under
 * `hubspot.accounts`, `kafka.sasl` and `kafka.ssl`, where a value may be a token, a password or a private key;
 * there only its kind is named ("got a string of 12 characters").
 */

// ---------------------------------------------------------------------------------------------------------------
// Building blocks: every codec's name reads as the expectation in a problem line ("expected <name>").

const refinement = <A>(name: string, is: (u: unknown) => u is A): t.Type<A, A, unknown> =>
  new t.Type<A, A, unknown>(name, is, (u, c) => (is(u) ? t.success(u) : t.failure(u, c)), t.identity)

const NonEmptyString = refinement(
  'a non-empty string',
  (u): u is string => typeof u === 'string' && u.trim().length > 0,
)

const PositiveInt = refinement(
  'a positive integer',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u > 0,
)

const NonNegativeInt = refinement(
  'an integer ≥ 0',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0,
)

// Bound declared once, beside Payload (decodeResult.ts), where decodeRecords checks it too; why 1 MiB is said there.
const ValueBytes = refinement(
  `a positive integer ≤ ${MAX_VALUE_BYTES_LIMIT}`,
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u > 0 && u <= MAX_VALUE_BYTES_LIMIT,
)

const Port = refinement(
  'a port number from 0 to 65535',
  (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= 0 && u <= 65535,
)

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/]+):(\d{1,5})$/
const HostPort = refinement('a host:port string', (u): u is string => {
  if (typeof u !== 'string') return false
  const match = HOST_PORT.exec(u)
  const port = Number(match?.[2])
  return match !== null && port >= 1 && port <= 65535
})

const TimeZone = refinement('an IANA time zone such as "America/New_York"', (u): u is string => {
  if (typeof u !== 'string' || u === '') return false
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: u })
    return true
  } catch {
    return false
  }
})

// Kafka's own rule for topic names (kafka.common.internals.Topic).
const TOPIC = /^[a-zA-Z0-9._-]{1,249}$/
const TopicName = refinement(
  'a Kafka topic name (1-249 characters of a-z A-Z 0-9 . _ -)',
  (u): u is string => typeof u === 'string' && TOPIC.test(u) && u !== '.' && u !== '..',
)

const HttpUrl = refinement('an http(s) URL', (u): u is string => {
  if (typeof u !== 'string') return false
  try {
    const url = new URL(u)
    return url.protocol === 'https:' || url.protocol === 'http:'
  } catch {
    return false
  }
})

const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === 'object' && u !== null && !Array.isArray(u)

/** TLS options are passed to kafkajs untouched (`tls.connect` options): only their shape is checked here. */
const SslOption = refinement(
  'true, false or an object of TLS options',
  (u): u is boolean | Record<string, unknown> => typeof u === 'boolean' || isPlainObject(u),
)

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/
const Instant = refinement(
  'an ISO-8601 date-time with offset or epoch milliseconds',
  (u): u is string | number =>
    (typeof u === 'number' && Number.isSafeInteger(u)) ||
    (typeof u === 'string' && ISO_DATE_TIME.test(u) && !Number.isNaN(Date.parse(u))),
)

/** An array with at least one element; element problems keep their index in the path. */
const nonEmptyArray = <C extends t.Mixed>(item: C, name: string) => {
  const array = t.array(item)
  return new t.Type<t.TypeOf<C>[], t.OutputOf<C>[], unknown>(
    name,
    (u): u is t.TypeOf<C>[] => array.is(u) && u.length > 0,
    (u, c) => (Array.isArray(u) && u.length > 0 ? array.validate(u, c) : t.failure(u, c)),
    array.encode,
  )
}

const UnknownKey = new t.Type<never, never, unknown>(
  'unknown key',
  (_): _ is never => false,
  (u, c) => t.failure(u, c),
  t.identity,
)

/**
 * An object with required and optional keys and no others. Required and optional keys are validated
 * directly in the object's context (not through `t.intersection`), so problem paths carry no member indices.
 */
const closed = <R extends t.Props, O extends t.Props>(
  name: string,
  required: R,
  optional: O,
  allowExtra: readonly string[] = [],
) => {
  const req = t.type(required)
  const opt = t.partial(optional)
  const known = [...Object.keys(required), ...Object.keys(optional)]
  const allowed = new Set([...known, ...allowExtra])
  type A = t.TypeOf<typeof req> & t.TypeOf<typeof opt>
  return new t.Type<A, A, unknown>(
    name,
    (u): u is A => req.is(u) && opt.is(u) && Object.keys(u).every((k) => allowed.has(k)),
    (u, c) => {
      if (!isPlainObject(u)) return t.failure(u, c)
      const problems: t.ValidationError[] = []
      const required = req.validate(u, c)
      if (isLeft(required)) problems.push(...required.left)
      const optional = opt.validate(u, c)
      if (isLeft(optional)) problems.push(...optional.left)
      for (const key of Object.keys(u)) {
        if (allowed.has(key)) continue
        const guess = closest(key, known)
        problems.push({
          value: u[key],
          context: [...c, { key, type: UnknownKey, actual: u[key] }],
          message: guess === undefined ? 'unknown key' : `unknown key (did you mean "${guess}"?)`,
        })
      }
      return problems.length > 0 ? t.failures(problems) : t.success(u as A)
    },
    t.identity,
  )
}

/** The known key within edit distance 2 of a misspelt one, for "did you mean". */
const closest = (key: string, candidates: readonly string[]): string | undefined => {
  let best: string | undefined
  let bestDistance = 3
  for (const candidate of candidates) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

const editDistance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      row[j] = Math.min(
        (previous[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      )
    }
    previous = row
  }
  return previous[b.length] as number
}

const oneOf = <K extends string>(values: readonly K[]) =>
  t.keyof(
    Object.fromEntries(values.map((v) => [v, null])) as { [P in K]: null },
    `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`,
  )

// ---------------------------------------------------------------------------------------------------------------
// The codec of what users write.

export const SaslConfigInput = closed(
  'an object { mechanism, username, password }',
  {
    mechanism: oneOf(['plain', 'scram-sha-256', 'scram-sha-512']),
    username: NonEmptyString,
    password: NonEmptyString,
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

export const HubSpotAccountInput = closed(
  'an object { token, … }',
  { token: NonEmptyString },
  {
    baseUrl: HttpUrl,
    apiVersion: oneOf(HUBSPOT_API_VERSIONS),
    mode: oneOf(HUBSPOT_WRITE_MODES),
    requestsPer10s: PositiveInt,
    dailyLimit: PositiveInt,
    maxInFlightRequests: PositiveInt,
    timeZone: TimeZone,
  },
)

export const HubSpotConfigInput = closed(
  'an object',
  { accounts: t.record(t.string, HubSpotAccountInput, 'an object of accounts by name') },
  {
    defaultAccount: NonEmptyString,
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
    batching: closed(
      'an object',
      {},
      {
        maxBatchSize: PositiveInt,
        maxBatchBytes: PositiveInt,
        maxWaitMs: PositiveInt,
        maxOpenBatches: PositiveInt,
      },
    ),
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
// Defaults. `PipelineConfig` is the type of what `withDefaults` builds, so it cannot drift from the codec.

/** The default of every optional configuration key, as `resolvePipelineConfig` fills them in. */
export const CONFIG_DEFAULTS = {
  kafka: { clientId: 'attendance-stream', fromBeginning: true },
  hubspot: {
    defaultAccount: 'default',
    account: {
      baseUrl: 'https://api.hubapi.com',
      apiVersion: 'v3',
      mode: 'create',
      requestsPer10s: 90,
      maxInFlightRequests: 4,
    },
    timeouts: { connectMs: 10_000, headersMs: 30_000, bodyMs: 30_000 },
  },
  batching: { maxBatchSize: 100, maxBatchBytes: 524_288, maxWaitMs: 1000, maxOpenBatches: 10_000 },
  retry: { baseDelayMs: 500, maxDelayMs: 30_000, maxAttempts: 6, maxElapsedMs: 300_000 },
  limits: {
    maxInFlightRecords: 10_000,
    maxValueBytes: 65_536,
    drainTimeoutMs: 30_000,
    shutdownTimeoutMs: 30_000,
    commitIntervalMs: 1000,
  },
  decode: { notBefore: '2000-01-01T00:00:00Z', maxFutureMs: 86_400_000 },
  onConfigFault: 'stop',
  metrics: { host: '127.0.0.1' },
  log: { level: 'info' },
} as const

const toEpochMs = (instant: string | number): number =>
  typeof instant === 'number' ? instant : Date.parse(instant)

const resolveAccount = (account: HubSpotAccountInput) => {
  const d = CONFIG_DEFAULTS.hubspot.account
  return {
    token: account.token,
    baseUrl: account.baseUrl ?? d.baseUrl,
    apiVersion: account.apiVersion ?? d.apiVersion,
    mode: account.mode ?? d.mode,
    requestsPer10s: account.requestsPer10s ?? d.requestsPer10s,
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
      accounts: Object.fromEntries(
        Object.entries(hubspot.accounts).map(([name, account]) => [name, resolveAccount(account)]),
      ) as Record<string, HubSpotAccountConfig>,
      defaultAccount: hubspot.defaultAccount ?? d.hubspot.defaultAccount,
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
  for (const name of accounts) {
    if (name.trim() === '') problems.push('hubspot.accounts: an account name must be a non-empty string')
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

// ---------------------------------------------------------------------------------------------------------------
// Problem lines.

const SENSITIVE_PATHS = ['hubspot.accounts', 'kafka.sasl', 'kafka.ssl']

const kindOf = (value: unknown): string => {
  if (value === null) return 'null'
  if (Array.isArray(value)) return `an array of ${value.length} elements`
  if (typeof value === 'string') return `a string of ${value.length} characters`
  if (typeof value === 'object') return 'an object'
  return `a ${typeof value}`
}

const render = (path: string, value: unknown): string => {
  const sensitive = SENSITIVE_PATHS.some((p) => path === p || path.startsWith(`${p}.`))
  if (sensitive && (typeof value === 'string' || (typeof value === 'object' && value !== null))) {
    return kindOf(value)
  }
  const json = JSON.stringify(value)
  if (json === undefined) return String(value)
  return json.length > 80 ? `${json.slice(0, 77)}...` : json
}

const problemLine = (error: t.ValidationError): string => {
  const path = error.context
    .map((entry) => entry.key)
    .filter((key) => key !== '')
    .join('.')
  const where = path === '' ? '(config)' : path
  if (error.message !== undefined) return `${where}: ${error.message}`
  const expected = error.context.at(-1)?.type.name ?? 'a valid value'
  if (error.value === undefined) return `${where}: missing, expected ${expected}`
  return `${where}: expected ${expected}, got ${render(path, error.value)}`
}

/**
 * Decodes a parsed config (what users write), applies the defaults and checks the rules across fields.
 * Left: every problem, one line each, path first, in a stable order.
 */
export const resolvePipelineConfig = (input: unknown): Either<string[], PipelineConfig> => {
  const decoded = PipelineConfigInput.decode(input)
  if (isLeft(decoded)) return left([...new Set(decoded.left.map(problemLine))])
  const config = withDefaults(decoded.right)
  const problems = crossFieldProblems(config)
  return problems.length > 0 ? left(problems) : right(config)
}
