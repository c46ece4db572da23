import type * as t from 'io-ts'

/**
 * Turns io-ts validation errors into one human-readable, path-qualified line per problem
 * (`contact.vid: expected a positive integer ≤ 2^53-1, got -4`). Unlike io-ts's PathReporter it names the
 * field the way the producer wrote it (no `{ … }` type dumps, no intersection/union indices) and never
 * serializes a whole input value, so a huge or deeply nested value cannot blow up the report.
 */

const MAX_SHOWN_STRING = 60

const BUILTIN_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  null: 'null',
  UnknownRecord: 'an object',
  UnknownArray: 'an array',
}

/** A short description of any value for an error line; bounded in size and never recursive. */
export const describeValue = (u: unknown): string => {
  if (u === undefined) return 'nothing'
  if (u === null) return 'null'
  if (typeof u === 'string') {
    const shown = u.length > MAX_SHOWN_STRING ? `${u.slice(0, MAX_SHOWN_STRING)}…` : u
    const quoted = JSON.stringify(shown)
    return u.length > MAX_SHOWN_STRING ? `${quoted} (${u.length} characters)` : quoted
  }
  if (typeof u === 'number' || typeof u === 'boolean' || typeof u === 'bigint') return String(u)
  if (Array.isArray(u)) return u.length === 0 ? 'an empty array' : `an array of ${u.length}`
  if (typeof u === 'object') return 'an object'
  return `a ${typeof u}`
}

/** `expected <what>, got <value>` plus an optional hint; custom codecs use it as their failure message. */
export const expectation = (expected: string, u: unknown, hint?: string): string =>
  `expected ${expected}, got ${describeValue(u)}${hint === undefined ? '' : ` (${hint})`}`

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

const isIndexed = (type: t.Decoder<unknown, unknown>): boolean => {
  const tag = (type as { _tag?: unknown })._tag
  return tag === 'ArrayType' || tag === 'ReadonlyArrayType' || tag === 'TupleType'
}

const isTransparent = (type: t.Decoder<unknown, unknown>): boolean => {
  const tag = (type as { _tag?: unknown })._tag
  // These combinators validate the same value again under numeric keys; those keys are not part of the input.
  return tag === 'IntersectionType' || tag === 'UnionType'
}

/** `contact.properties["first name"]`, `details[2]`; empty for the root value. */
export const formatPath = (context: t.Context): string => {
  let path = ''
  for (let i = 1; i < context.length; i++) {
    const parent = context[i - 1]!.type
    const key = context[i]!.key
    if (isTransparent(parent)) continue
    if (isIndexed(parent)) path += `[${key}]`
    else if (IDENTIFIER.test(key)) path += path === '' ? key : `.${key}`
    else path += `[${JSON.stringify(key)}]`
  }
  return path
}

const expectedName = (type: t.Decoder<unknown, unknown>): string => BUILTIN_NAMES[type.name] ?? type.name

/** One line for one io-ts error. */
export const formatError = (error: t.ValidationError): string => {
  const path = formatPath(error.context)
  const leaf = error.context[error.context.length - 1]
  const body =
    error.message ??
    (leaf === undefined
      ? expectation('a valid value', error.value)
      : error.value === undefined
        ? `missing, expected ${expectedName(leaf.type)}`
        : expectation(expectedName(leaf.type), error.value))
  return path === '' ? body : `${path}: ${body}`
}

/** Every problem, one line each, in the order io-ts found them, without duplicates. */
export const reportErrors = (errors: t.Errors): string[] => [...new Set(errors.map(formatError))]
