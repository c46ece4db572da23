/**
 * A validator for the subset of JSON Schema (draft-07) that config.schema.json uses, for tests: enough to ask
 * "does an editor accept this file?" without a schema library. An unknown keyword is an error, so the generator
 * cannot start emitting something this validator silently ignores.
 */

type Schema = Readonly<Record<string, unknown>>

const ANNOTATIONS = new Set(['$schema', 'title', 'description', 'default'])

const typeOf = (value: unknown): string => {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

const hasType = (value: unknown, type: string): boolean => {
  const actual = typeOf(value)
  return actual === type || (type === 'number' && actual === 'integer')
}

const isObject = (value: unknown): value is Record<string, unknown> => typeOf(value) === 'object'

/** Every way `value` breaks `schema`, as `path: keyword` lines; empty when it is valid. */
export const schemaProblems = (schema: Schema, value: unknown, path = '$'): string[] => {
  const problems: string[] = []
  const fail = (keyword: string) => problems.push(`${path}: ${keyword}`)
  for (const [keyword, arg] of Object.entries(schema)) {
    switch (keyword) {
      case 'type': {
        const types = Array.isArray(arg) ? (arg as string[]) : [arg as string]
        if (!types.some((type) => hasType(value, type))) fail('type')
        break
      }
      case 'enum':
        if (!(arg as unknown[]).some((allowed) => allowed === value)) fail('enum')
        break
      case 'minimum':
        if (typeof value === 'number' && value < (arg as number)) fail('minimum')
        break
      case 'maximum':
        if (typeof value === 'number' && value > (arg as number)) fail('maximum')
        break
      case 'minLength':
        // JSON Schema counts code points, not UTF-16 units.
        if (typeof value === 'string' && [...value].length < (arg as number)) fail('minLength')
        break
      case 'pattern':
        if (typeof value === 'string' && !new RegExp(arg as string, 'u').test(value)) fail('pattern')
        break
      case 'minItems':
        if (Array.isArray(value) && value.length < (arg as number)) fail('minItems')
        break
      case 'items':
        if (Array.isArray(value))
          value.forEach((item, i) => {
            problems.push(...schemaProblems(arg as Schema, item, `${path}[${i}]`))
          })
        break
      case 'required':
        if (isObject(value))
          for (const key of arg as string[]) if (!Object.hasOwn(value, key)) fail(`required ${key}`)
        break
      case 'properties':
        if (isObject(value))
          for (const [key, sub] of Object.entries(arg as Record<string, Schema>))
            if (Object.hasOwn(value, key)) problems.push(...schemaProblems(sub, value[key], `${path}.${key}`))
        break
      case 'additionalProperties':
        if (isObject(value)) {
          const declared = (schema['properties'] ?? {}) as Record<string, unknown>
          for (const key of Object.keys(value)) {
            if (Object.hasOwn(declared, key)) continue
            if (arg === false) fail(`additionalProperties ${key}`)
            else if (arg !== true)
              problems.push(...schemaProblems(arg as Schema, value[key], `${path}.${key}`))
          }
        }
        break
      case 'propertyNames':
        if (isObject(value))
          for (const key of Object.keys(value))
            problems.push(...schemaProblems(arg as Schema, key, `${path}.${key} (name)`))
        break
      case 'not':
        if (schemaProblems(arg as Schema, value, path).length === 0) fail('not')
        break
      case 'anyOf':
        if (!(arg as Schema[]).some((sub) => schemaProblems(sub, value, path).length === 0)) fail('anyOf')
        break
      default:
        if (!ANNOTATIONS.has(keyword))
          throw new Error(`${path}: the test validator does not know "${keyword}"`)
    }
  }
  return problems
}
