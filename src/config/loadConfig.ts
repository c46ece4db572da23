import { readFileSync } from 'node:fs'
import type { Either } from 'fp-ts/lib/Either.js'
import { isLeft, left, right } from 'fp-ts/lib/Either.js'
import { createRedactor, secretsIn } from '../redact.js'
import { CONFIG_DEFAULTS } from './defaults.js'
import type { PipelineConfig } from './pipelineConfig.js'
import { resolvePipelineConfig } from './pipelineConfig.js'
import { attributeProblems } from './problems.js'
import { RESERVED_NAMES } from './rules.js'
import { readSslFiles } from './sslFiles.js'

/**
 * The service's configuration: a JSON file, then environment variables on top (containers and secret stores
 * hand out environment variables; a token belongs in `HUBSPOT_TOKEN`, not in a file in an image). Every
 * problem of the merged result is returned at once, so the CLI can print them all and exit 2 before it
 * connects to anything. No problem line contains a secret: values are echoed only outside credential
 * sections (see `resolvePipelineConfig`) and every known secret is scrubbed again here.
 */

export interface LoadConfigOptions {
  /** A JSON file; without it the configuration comes from the environment alone. */
  readonly file?: string
  readonly env: NodeJS.ProcessEnv
}

type Override = (value: string, defaultAccount: string) => { path: readonly string[]; value: unknown }

const account = (name: string, ...key: string[]) => ['hubspot', 'accounts', name, ...key]

const list = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')

/**
 * The environment variables read, in the order they are applied. Arrays are comma-separated; an empty
 * variable counts as unset. The HubSpot variables apply to the default account (`hubspot.defaultAccount`
 * from the file, else `"default"`).
 */
export const ENV_OVERRIDES: ReadonlyArray<readonly [name: string, to: Override]> = [
  ['KAFKA_BROKERS', (v) => ({ path: ['kafka', 'brokers'], value: list(v) })],
  ['KAFKA_GROUP_ID', (v) => ({ path: ['kafka', 'groupId'], value: v })],
  ['KAFKA_CLIENT_ID', (v) => ({ path: ['kafka', 'clientId'], value: v })],
  ['INPUT_TOPICS', (v) => ({ path: ['kafka', 'inputTopics'], value: list(v) })],
  ['RESULTS_TOPIC', (v) => ({ path: ['kafka', 'resultsTopic'], value: v })],
  ['ERRORS_TOPIC', (v) => ({ path: ['kafka', 'errorsTopic'], value: v })],
  // SASL from the environment, so the password can come from an orchestrator's secret rather than a file.
  ['KAFKA_SASL_MECHANISM', (v) => ({ path: ['kafka', 'sasl', 'mechanism'], value: v.toLowerCase() })],
  ['KAFKA_SASL_USERNAME', (v) => ({ path: ['kafka', 'sasl', 'username'], value: v })],
  ['KAFKA_SASL_PASSWORD', (v) => ({ path: ['kafka', 'sasl', 'password'], value: v })],
  ['HUBSPOT_TOKEN', (v, name) => ({ path: account(name, 'token'), value: v })],
  ['HUBSPOT_CLIENT_ID', (v, name) => ({ path: account(name, 'oauth', 'clientId'), value: v })],
  ['HUBSPOT_CLIENT_SECRET', (v, name) => ({ path: account(name, 'oauth', 'clientSecret'), value: v })],
  ['HUBSPOT_REFRESH_TOKEN', (v, name) => ({ path: account(name, 'oauth', 'refreshToken'), value: v })],
  ['HUBSPOT_BASE_URL', (v, name) => ({ path: account(name, 'baseUrl'), value: v })],
  ['HUBSPOT_API_VERSION', (v, name) => ({ path: account(name, 'apiVersion'), value: v })],
  // A number when it looks like one; otherwise the string goes to the codec, which names the problem.
  ['METRICS_PORT', (v) => ({ path: ['metrics', 'port'], value: /^\d+$/.test(v) ? Number(v) : v })],
  ['LOG_LEVEL', (v) => ({ path: ['log', 'level'], value: v.toLowerCase() })],
]

/** The variables that hold credentials: their raw values are scrubbed from every problem line. */
export const SECRET_ENV = [
  'KAFKA_SASL_PASSWORD',
  'HUBSPOT_TOKEN',
  'HUBSPOT_CLIENT_ID',
  'HUBSPOT_CLIENT_SECRET',
  'HUBSPOT_REFRESH_TOKEN',
] as const

const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === 'object' && u !== null && !Array.isArray(u)

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`

/** Line and column (1-based) of a character position, for a JSON syntax error without echoing the text. */
const lineAndColumn = (text: string, position: number): string => {
  const before = text.slice(0, position)
  const line = before.split('\n').length
  const column = position - before.lastIndexOf('\n')
  return `line ${line}, column ${column}`
}

const readConfigFile = (file: string): Either<string[], Record<string, unknown>> => {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return left([
      code === 'ENOENT'
        ? `config file ${JSON.stringify(file)}: not found`
        : `config file ${JSON.stringify(file)}: cannot be read (${code ?? 'unknown error'})`,
    ])
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    // V8's messages quote the offending text, which may be a token: report the position only.
    const position = /position (\d+)/.exec((error as Error).message)?.[1]
    const where = position === undefined ? '' : ` at ${lineAndColumn(text, Number(position))}`
    return left([`config file ${JSON.stringify(file)}: invalid JSON${where}`])
  }
  if (!isPlainObject(parsed)) {
    return left([
      `config file ${JSON.stringify(file)}: expected a JSON object at the top level, got ${describe(parsed)}`,
    ])
  }
  return right(parsed)
}

/**
 * Sets `path` in `target`, creating objects on the way. A value of the wrong kind on the way is left alone:
 * the codec then reports the file's mistake instead of the override hiding it.
 */
const setIn = (target: Record<string, unknown>, path: readonly string[], value: unknown): boolean => {
  // A path segment comes from the file (hubspot.defaultAccount): "__proto__" would walk into Object.prototype
  // and put the token on every object in the process. Such a path is not set; the codec names the problem.
  if (path.some((key) => RESERVED_NAMES.includes(key))) return false
  let node = target
  for (const key of path.slice(0, -1)) {
    const next = Object.hasOwn(node, key) ? node[key] : undefined
    if (next === undefined) node[key] = {}
    else if (!isPlainObject(next)) return false
    node = node[key] as Record<string, unknown>
  }
  node[path.at(-1) as string] = value
  return true
}

/** Reads, merges and resolves the configuration. Left: every problem, one line each, secrets scrubbed. */
export const loadConfig = (options: LoadConfigOptions): Either<string[], PipelineConfig> => {
  const { file, env } = options
  let merged: Record<string, unknown> = {}
  if (file !== undefined) {
    const read = readConfigFile(file)
    if (isLeft(read)) return read
    merged = read.right
  }
  // The secrets as written, before any override trims or lower-cases a copy of them: a problem line can only be
  // scrubbed of what the redactor knows (it matches case-insensitively, so a token pasted into LOG_LEVEL and
  // lower-cased on the way is still caught).
  const rawSecrets = [
    ...secretsIn(merged),
    ...SECRET_ENV.flatMap((name) => {
      const raw = env[name]
      return raw === undefined ? [] : [raw, raw.trim()]
    }),
  ]
  const hubspot = merged['hubspot']
  const named = isPlainObject(hubspot) ? hubspot['defaultAccount'] : undefined
  const defaultAccount =
    typeof named === 'string' && named !== '' ? named : CONFIG_DEFAULTS.hubspot.defaultAccount

  const fromEnv = new Map<string, string>()
  for (const [name, override] of ENV_OVERRIDES) {
    const raw = env[name]
    if (raw === undefined || raw.trim() === '') continue
    const { path, value } = override(raw.trim(), defaultAccount)
    if (setIn(merged, path, value)) fromEnv.set(path.join('.'), name)
  }

  const resolved = resolvePipelineConfig(merged)
  if (!isLeft(resolved)) {
    // A CA file that cannot be read is a configuration problem (exit 2), not a connection failure later.
    const ssl = resolved.right.kafka.ssl === undefined ? undefined : readSslFiles(resolved.right.kafka.ssl)
    return ssl !== undefined && isLeft(ssl) ? left([ssl.left]) : resolved
  }
  return left(attributeProblems(resolved.left, fromEnv, createRedactor(rawSecrets)))
}
