import type * as t from 'io-ts'

/**
 * The one problem reporter of the configuration: every problem is one line, path first, in a stable order, so a
 * config with five typos needs one round trip, not five. Values are echoed so users see what they wrote, except
 * under `hubspot.accounts`, `kafka.sasl` and `kafka.ssl`, where a value may be a token, a password or a private
 * key: there only its kind is named ("got a string of 12 characters").
 */

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

/** One line per decode problem, duplicates removed, in the codec's order. */
export const problemLines = (errors: t.Errors): string[] => [...new Set(errors.map(problemLine))]

/** The path a problem line is about (what precedes its first colon). */
export const problemPath = (problem: string): string => problem.slice(0, problem.indexOf(':'))

/**
 * Names, after each problem, the environment variable its value came from (`sources`: config path → variable),
 * then scrubs every known secret with `redact`.
 */
export const attributeProblems = (
  problems: readonly string[],
  sources: ReadonlyMap<string, string>,
  redact: (line: string) => string,
): string[] =>
  problems.map((problem) => {
    const path = problemPath(problem)
    const name = [...sources].find(([set]) => path === set || path.startsWith(`${set}.`))?.[1]
    return redact(name === undefined ? problem : `${problem} (from ${name})`)
  })
