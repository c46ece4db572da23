import type { Redactor } from '../redact.js'
import { createRedactor, isSecretKey, REDACTED } from '../redact.js'

/**
 * A tiny structured logger for the service: one JSON object per line, `{ time, level, msg, ...fields }`.
 * Every string that reaches the output goes through the redactor (configured secrets, bearer credentials) and
 * every value under a credential-named key is replaced, so a token cannot leak through a message, a nested
 * field, an error's message or stack, or an HTTP header.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** Where lines go: anything with `write(string)` (process.stderr, a file stream, a test buffer). */
export interface LogSink {
  write(line: string): unknown
}

export type LogFields = Readonly<Record<string, unknown>>

export interface Logger {
  readonly level: LogLevel
  isLevelEnabled(level: LogLevel): boolean
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
  /** A logger that adds `fields` to every line; it shares the parent's sink, level and secrets. */
  child(fields: LogFields): Logger
}

export interface JsonLoggerOptions {
  /** Lines below this level are dropped. Default `'info'`. */
  readonly level?: LogLevel
  /** Default `process.stderr`: stdout stays free for a program's output. */
  readonly stream?: LogSink
  /** Strings replaced by `[REDACTED]` wherever they occur (the HubSpot tokens, the SASL password). */
  readonly secrets?: Iterable<string> | Redactor
  /** Fields on every line. */
  readonly fields?: LogFields
  /** Epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number
}

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 }
const RESERVED = new Set(['time', 'level', 'msg'])
const MAX_DEPTH = 8

export const createJsonLogger = (options: JsonLoggerOptions = {}): Logger => {
  const secrets = options.secrets
  const redact: Redactor = typeof secrets === 'function' ? secrets : createRedactor(secrets ?? [])
  return makeLogger({
    level: options.level ?? 'info',
    stream: options.stream ?? process.stderr,
    redact,
    now: options.now ?? Date.now,
    bindings: options.fields ?? {},
  })
}

interface LoggerState {
  readonly level: LogLevel
  readonly stream: LogSink
  readonly redact: Redactor
  readonly now: () => number
  readonly bindings: LogFields
}

const makeLogger = (state: LoggerState): Logger => {
  const enabled = (level: LogLevel) => RANK[level] >= RANK[state.level]
  const log = (level: LogLevel) => (msg: string, fields?: LogFields) => {
    if (!enabled(level)) return
    const line: Record<string, unknown> = {
      time: new Date(state.now()).toISOString(),
      level,
      msg: state.redact(String(msg)),
    }
    const seen = new WeakSet<object>()
    for (const source of [state.bindings, fields ?? {}]) {
      for (const [key, value] of Object.entries(source)) {
        // A field may not overwrite time, level or msg: it keeps its value under a prefixed key.
        const shown = state.redact(key)
        line[RESERVED.has(shown) ? `_${shown}` : shown] = serialize(value, key, state.redact, seen, 0)
      }
    }
    state.stream.write(`${JSON.stringify(line)}\n`)
  }
  return {
    level: state.level,
    isLevelEnabled: enabled,
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (fields) => makeLogger({ ...state, bindings: { ...state.bindings, ...fields } }),
  }
}

/** A JSON-safe copy of `value` with secrets replaced; cycles, depth and exotic values made printable. */
const serialize = (
  value: unknown,
  key: string,
  redact: Redactor,
  seen: WeakSet<object>,
  depth: number,
): unknown => {
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value)
  if (typeof value === 'boolean' || value === null || value === undefined) return value
  // Numbers and booleans cannot be credentials; anything else under a credential-named key is.
  if (isSecretKey(key)) return REDACTED
  if (typeof value === 'string') return redact(value)
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'symbol') return redact(value.toString())
  if (typeof value === 'function') return `[Function ${redact(value.name || 'anonymous')}]`
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`
  if (seen.has(value)) return '[Circular]'
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? '[Array]' : '[Object]'
  seen.add(value)
  try {
    const nested = (v: unknown, k: string) => serialize(v, k, redact, seen, depth + 1)
    if (value instanceof Error) return serializeError(value, nested, redact)
    if (Array.isArray(value)) return value.map((item, i) => nested(item, String(i)))
    if (value instanceof Map)
      return Object.fromEntries([...value].map(([k, v]) => [redact(String(k)), nested(v, String(k))]))
    if (value instanceof Set) return [...value].map((item, i) => nested(item, String(i)))
    if (typeof Headers !== 'undefined' && value instanceof Headers) {
      return Object.fromEntries([...value].map(([k, v]) => [redact(k), nested(v, k)]))
    }
    const toJSON = (value as { toJSON?: unknown }).toJSON
    if (typeof toJSON === 'function') return nested(toJSON.call(value), key)
    const out: Record<string, unknown> = {}
    // Keys reach the output too: a map keyed by token (the simulator's counters) must not print it.
    for (const [k, v] of Object.entries(value)) out[redact(k)] = nested(v, k)
    return out
  } finally {
    // Only ancestors count as cycles: the same object twice side by side is printed twice.
    seen.delete(value)
  }
}

const serializeError = (
  error: Error,
  nested: (value: unknown, key: string) => unknown,
  redact: Redactor,
): Record<string, unknown> => {
  const out: Record<string, unknown> = { name: redact(error.name), message: redact(error.message) }
  // Own enumerable properties carry what libraries attach: code, retryable, context, status, …
  for (const [k, v] of Object.entries(error)) out[redact(k)] = nested(v, k)
  if (error.stack !== undefined) out['stack'] = redact(error.stack)
  if (error.cause !== undefined) out['cause'] = nested(error.cause, 'cause')
  if (error instanceof AggregateError) out['errors'] = nested(error.errors, 'errors')
  return out
}
