import { isLeft } from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { MAX_VALUE_BYTES_LIMIT } from '../codecs/decodeResult.js'
import { isHeaderSafeToken, Secret } from '../secret.js'
import { hideTlsSecrets } from './sslFiles.js'

/**
 * The rules a configuration value is checked by: one io-ts codec per kind of value, whose name reads as the
 * expectation in a problem line ("expected <name>"). The config codec and the library's operators use the same
 * rules (STYLE 17: one validator per option), e.g. `BATCHING_RULES` for `batchAttendance`.
 *
 * Each rule also declares its JSON Schema (draft-07), from which `config.schema.json` is generated for editors
 * (scripts/configSchema.ts). A schema may be looser than its rule where JSON Schema cannot say it (a port's range
 * inside "host:port", an IANA zone, a loopback host): it never refuses what the rule accepts.
 */

/** A JSON Schema (draft-07) node. */
export type JsonSchema = { readonly [keyword: string]: unknown }

const jsonSchemas = new WeakMap<t.Mixed, () => JsonSchema>()

/** Declares `codec`'s JSON Schema (a thunk: composite codecs read their members' schemas when asked). */
export const withJsonSchema = <C extends t.Mixed>(codec: C, schema: () => JsonSchema): C => {
  jsonSchemas.set(codec, schema)
  return codec
}

/** The JSON Schema of a codec built from these rules; throws for a codec that declares none. */
export const jsonSchemaOf = (codec: t.Mixed): JsonSchema => {
  const declared = jsonSchemas.get(codec)
  if (declared !== undefined) return declared()
  if (codec instanceof t.BooleanType) return { type: 'boolean' }
  throw new TypeError(`no JSON Schema is declared for the codec "${codec.name}"`)
}

/** JSON Schema for "a string that is not only blanks" (what `trim() !== ''` accepts). */
const NOT_BLANK = { type: 'string', pattern: '\\S' } as const

export const refinement = <A>(
  name: string,
  is: (u: unknown) => u is A,
  schema: JsonSchema,
): t.Type<A, A, unknown> =>
  withJsonSchema(
    new t.Type<A, A, unknown>(name, is, (u, c) => (is(u) ? t.success(u) : t.failure(u, c)), t.identity),
    () => schema,
  )

const integer = (minimum: number, maximum: number = Number.MAX_SAFE_INTEGER) =>
  ({ type: 'integer', minimum, maximum }) as const

export const NonEmptyString = refinement(
  'a non-empty string',
  (u): u is string => typeof u === 'string' && u.trim().length > 0,
  NOT_BLANK,
)

export const PositiveInt = refinement(
  'a positive integer',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u > 0,
  integer(1),
)

// Bound declared once, beside Payload (codecs/decodeResult.ts), where decodeRecords checks it too; why 1 MiB is said there.
export const ValueBytes = refinement(
  `a positive integer ≤ ${MAX_VALUE_BYTES_LIMIT}`,
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u > 0 && u <= MAX_VALUE_BYTES_LIMIT,
  integer(1, MAX_VALUE_BYTES_LIMIT),
)

export const NonNegativeInt = refinement(
  'an integer ≥ 0',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0,
  integer(0),
)

/** A fraction of HubSpot's allowance to leave unused: 0 to 0.5. */
export const HeadroomFraction = refinement(
  'a number from 0 to 0.5',
  (u): u is number => typeof u === 'number' && u >= 0 && u <= 0.5,
  { type: 'number', minimum: 0, maximum: 0.5 },
)

export const Port = refinement(
  'a port number from 0 to 65535',
  (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= 0 && u <= 65535,
  integer(0, 65535),
)

export const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/]+):(\d{1,5})$/
export const HostPort = refinement(
  'a host:port string',
  (u): u is string => {
    if (typeof u !== 'string') return false
    const match = HOST_PORT.exec(u)
    const port = Number(match?.[2])
    return match !== null && port >= 1 && port <= 65535
  },
  { type: 'string', pattern: HOST_PORT.source },
)

export const TimeZone = refinement(
  'an IANA time zone such as "America/New_York"',
  (u): u is string => {
    if (typeof u !== 'string' || u === '') return false
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: u })
      return true
    } catch {
      return false
    }
  },
  { type: 'string', minLength: 1 },
)

// Kafka's own rule for topic names (kafka.common.internals.Topic).
export const TOPIC = /^[a-zA-Z0-9._-]{1,249}$/
export const TopicName = refinement(
  'a Kafka topic name (1-249 characters of a-z A-Z 0-9 . _ -)',
  (u): u is string => typeof u === 'string' && TOPIC.test(u) && u !== '.' && u !== '..',
  { type: 'string', pattern: TOPIC.source, not: { enum: ['.', '..'] } },
)

const LOOPBACK_HOST = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])$/i

/** Why `value` is not a usable HubSpot base URL, or undefined when it is. Never quotes the value. */
export const baseUrlProblem = (value: string): string | undefined => {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'is not a valid URL'
  }
  // Credentials in the URL would be printed wherever the URL is, and never sent by the client.
  if (url.username !== '' || url.password !== '') return 'must not carry credentials (user:password@)'
  if (url.protocol === 'https:') return undefined
  // http: sends the bearer token unencrypted; only a loopback host (the simulator, a local proxy) may use it.
  if (url.protocol === 'http:' && LOOPBACK_HOST.test(url.hostname)) return undefined
  return 'must be https: (http: only for a loopback host such as 127.0.0.1)'
}

/** A HubSpot base URL: https (http only on loopback), without credentials. */
export const HubSpotBaseUrl = refinement(
  'an https: URL without credentials (http: only for a loopback host)',
  (u): u is string => typeof u === 'string' && baseUrlProblem(u) === undefined,
  // The scheme only: URL parsing lower-cases it, and which hosts may use http: is left to the service.
  { type: 'string', pattern: '^[Hh][Tt][Tt][Pp][Ss]?://' },
)

/** Names JavaScript gives a meaning on every object: as keys of a config map they would reach its prototype. */
export const RESERVED_NAMES: readonly string[] = ['__proto__', 'constructor', 'prototype']

/** An account name: non-empty and none of {@link RESERVED_NAMES}. */
export const AccountName = refinement(
  'an account name (non-empty, not __proto__, constructor or prototype)',
  (u): u is string => typeof u === 'string' && u.trim() !== '' && !RESERVED_NAMES.includes(u),
  { ...NOT_BLANK, not: { enum: RESERVED_NAMES } },
)

/** A non-empty credential, decoded into a {@link Secret} so no printout of the config shows it. */
export const SecretString = withJsonSchema(
  new t.Type<Secret, Secret, unknown>(
    'a non-empty string',
    (u): u is Secret => u instanceof Secret,
    (u, c) => (typeof u === 'string' && u.trim() !== '' ? t.success(new Secret(u)) : t.failure(u, c)),
    t.identity,
  ),
  () => NOT_BLANK,
)

/** A bearer token: a credential that can also be sent in a header (visible ASCII, no CR/LF or spaces). */
export const BearerToken = withJsonSchema(
  new t.Type<Secret, Secret, unknown>(
    'a token of visible ASCII characters (no spaces, CR, LF or other control characters)',
    (u): u is Secret => u instanceof Secret,
    (u, c) => (typeof u === 'string' && isHeaderSafeToken(u) ? t.success(new Secret(u)) : t.failure(u, c)),
    t.identity,
  ),
  () => ({ type: 'string', pattern: '^[\\x21-\\x7E]+$' }),
)

export const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === 'object' && u !== null && !Array.isArray(u)

const CaFilePath = refinement(
  'a path to a PEM file (a non-empty string)',
  (u): u is string => typeof u === 'string' && u.trim() !== '',
  NOT_BLANK,
)

/**
 * TLS options are passed to kafkajs as they are (`tls.connect` options): only their shape is checked here,
 * and our one addition, `caFile`: the path of a PEM file read into `ca` when the client is built (a PEM in a
 * JSON file is one long line of `\n`s). Its readability is checked where files are read (`loadConfig`).
 */
export const SslOption = new t.Type<
  boolean | Record<string, unknown>,
  boolean | Record<string, unknown>,
  unknown
>(
  'true, false or an object of TLS options',
  (u): u is boolean | Record<string, unknown> => typeof u === 'boolean' || isPlainObject(u),
  (u, c) => {
    if (typeof u === 'boolean') return t.success(u)
    if (!isPlainObject(u)) return t.failure(u, c)
    if (u['caFile'] === undefined) return t.success(hideTlsSecrets(u))
    if (u['ca'] !== undefined) return t.failure(u, c, 'either ca (PEM text) or caFile (a path), not both')
    const caFile = CaFilePath.validate(u['caFile'], [
      ...c,
      { key: 'caFile', type: CaFilePath, actual: u['caFile'] },
    ])
    return isLeft(caFile) ? caFile : t.success(hideTlsSecrets(u))
  },
  t.identity,
)
// Looser than the codec: `ca` with `caFile` and an empty `caFile` are left to the service.
withJsonSchema(SslOption, () => ({ type: ['boolean', 'object'] }))

export const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/
export const Instant = refinement(
  'an ISO-8601 date-time with offset or epoch milliseconds',
  (u): u is string | number =>
    (typeof u === 'number' && Number.isSafeInteger(u)) ||
    (typeof u === 'string' && ISO_DATE_TIME.test(u) && !Number.isNaN(Date.parse(u))),
  { anyOf: [integer(Number.MIN_SAFE_INTEGER), { type: 'string', pattern: ISO_DATE_TIME.source }] },
)

/** An array with at least one element; element problems keep their index in the path. */
export const nonEmptyArray = <C extends t.Mixed>(item: C, name: string) => {
  const array = t.array(item)
  return withJsonSchema(
    new t.Type<t.TypeOf<C>[], t.OutputOf<C>[], unknown>(
      name,
      (u): u is t.TypeOf<C>[] => array.is(u) && u.length > 0,
      (u, c) => (Array.isArray(u) && u.length > 0 ? array.validate(u, c) : t.failure(u, c)),
      array.encode,
    ),
    () => ({ type: 'array', items: jsonSchemaOf(item), minItems: 1 }),
  )
}

export const UnknownKey = new t.Type<never, never, unknown>(
  'unknown key',
  (_): _ is never => false,
  (u, c) => t.failure(u, c),
  t.identity,
)

/**
 * An object with required and optional keys and no others. Required and optional keys are validated
 * directly in the object's context (not through `t.intersection`), so problem paths carry no member indices.
 */
export const closed = <R extends t.Props, O extends t.Props>(
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
  const codec = new t.Type<A, A, unknown>(
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
      if (problems.length > 0 || isLeft(required) || isLeft(optional)) return t.failures(problems)
      // The decoded members, not the input: a member codec may transform its value (a string into a Secret).
      // (t.type and t.partial each return the whole object, raw where they did not decode: pick each one's keys.)
      const out: Record<string, unknown> = { ...u }
      for (const key of Object.keys(opt.props))
        if (key in u) out[key] = (optional.right as Record<string, unknown>)[key]
      for (const key of Object.keys(req.props)) out[key] = (required.right as Record<string, unknown>)[key]
      return t.success(out as A)
    },
    t.identity,
  )
  return withJsonSchema(codec, () => ({
    type: 'object',
    properties: {
      ...Object.fromEntries(allowExtra.map((key) => [key, {}])),
      ...Object.fromEntries(
        known.map((key) => [key, jsonSchemaOf((required[key] ?? optional[key]) as t.Mixed)]),
      ),
    },
    ...(Object.keys(required).length === 0 ? {} : { required: Object.keys(required) }),
    additionalProperties: false,
  }))
}

/** The known key within edit distance 2 of a misspelt one, for "did you mean". */
export const closest = (key: string, candidates: readonly string[]): string | undefined => {
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

export const editDistance = (a: string, b: string): number => {
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

export const oneOf = <K extends string>(values: readonly K[]) =>
  withJsonSchema(
    t.keyof(
      Object.fromEntries(values.map((v) => [v, null])) as { [P in K]: null },
      `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`,
    ),
    () => ({ type: 'string', enum: [...values] }),
  )

/**
 * The rules of `batchAttendance`'s bounds, shared by the config codec (`batching.*`) and the operator's own
 * option check, so the two cannot disagree. `maxWaitMs: 0` closes a batch at the next scheduler turn.
 */
export const BATCHING_RULES = {
  maxBatchSize: PositiveInt,
  maxBatchBytes: PositiveInt,
  maxWaitMs: NonNegativeInt,
  maxOpenBatches: PositiveInt,
} as const

/**
 * A map with checked keys. Unlike `t.record`, which drops a key its domain refuses without a word, every bad key
 * is a problem at its own path; and the decoded map has no prototype, so a key such as `__proto__` can neither
 * reach `Object.prototype` nor be found by a lookup that was meant for the map.
 */
export const recordOf = <K extends t.Mixed, V extends t.Mixed>(key: K, value: V, name: string) =>
  withJsonSchema(recordCodec(key, value, name), () => ({
    type: 'object',
    propertyNames: jsonSchemaOf(key),
    additionalProperties: jsonSchemaOf(value),
  }))

const recordCodec = <K extends t.Mixed, V extends t.Mixed>(key: K, value: V, name: string) =>
  new t.Type<Record<string, t.TypeOf<V>>, Record<string, t.TypeOf<V>>, unknown>(
    name,
    (u): u is Record<string, t.TypeOf<V>> =>
      isPlainObject(u) && Object.entries(u).every(([k, v]) => key.is(k) && value.is(v)),
    (u, c) => {
      if (!isPlainObject(u)) return t.failure(u, c)
      const problems: t.ValidationError[] = []
      const out = Object.create(null) as Record<string, t.TypeOf<V>>
      for (const [k, v] of Object.entries(u)) {
        const checkedKey = key.validate(k, [...c, { key: k, type: key, actual: k }])
        if (isLeft(checkedKey)) {
          problems.push(...checkedKey.left)
          continue
        }
        const checked = value.validate(v, [...c, { key: k, type: value, actual: v }])
        if (isLeft(checked)) problems.push(...checked.left)
        else out[k] = checked.right
      }
      return problems.length > 0 ? t.failures(problems) : t.success(out)
    },
    t.identity,
  )
