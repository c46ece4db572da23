import { CONFIG_DEFAULTS } from './defaults.js'
import { PipelineConfigInput } from './pipelineConfig.js'
import { isPlainObject, type JsonSchema, jsonSchemaOf } from './rules.js'

/**
 * The JSON Schema of a configuration file (`config.schema.json`, for editors), generated from the config codec
 * and the defaults table, so neither can drift from it. `scripts/configSchema.ts` adds the descriptions from
 * docs/configuration.md and writes the file; a test checks the committed file against this.
 *
 * It is looser than the codec in three ways, all deliberate: a rule JSON Schema cannot express is checked by
 * the service only (see src/config/rules.ts); an account needs neither `token` nor `oauth`, which usually come
 * from the environment (both at once is refused); rules across fields (`defaultAccount` names an account, …)
 * are the service's.
 */

/** Where a defaults-table entry sits in the config, when not at the same path: `*` is any key of a map. */
const DEFAULTS_AT: Readonly<Record<string, readonly string[]>> = {
  'hubspot.account': ['hubspot', 'accounts', '*'],
}

/** The schema node of a config path (`*`: a map's values); throws when the path is not in the schema. */
export const schemaAt = (root: JsonSchema, path: readonly string[]): Record<string, unknown> => {
  let node: unknown = root
  for (const key of path) {
    const schema = node as Record<string, unknown>
    node =
      key === '*' ? schema['additionalProperties'] : (schema['properties'] as Record<string, unknown>)?.[key]
    if (!isPlainObject(node)) throw new TypeError(`config.schema.json has no key ${path.join('.')}`)
  }
  return node as Record<string, unknown>
}

/** Every leaf of the defaults table with the config path it is the default of. */
export const defaultsByPath = (): Array<readonly [path: readonly string[], value: unknown]> => {
  const leaves: Array<readonly [readonly string[], unknown]> = []
  const walk = (value: unknown, path: readonly string[]) => {
    const at = DEFAULTS_AT[path.join('.')] ?? path
    if (isPlainObject(value)) for (const [key, item] of Object.entries(value)) walk(item, [...at, key])
    else leaves.push([at, value])
  }
  walk(CONFIG_DEFAULTS, [])
  return leaves
}

/** The configuration file's JSON Schema (draft-07): the codec's shape with every default as `default`. */
export const configJsonSchema = (): JsonSchema => {
  // A copy through JSON, not structuredClone: rules share schema nodes (every non-blank string), and the walk
  // below writes a default into one place only.
  const schema = JSON.parse(JSON.stringify(jsonSchemaOf(PipelineConfigInput))) as Record<string, unknown>
  for (const [path, value] of defaultsByPath()) schemaAt(schema, path)['default'] = value
  const properties = schema['properties'] as Record<string, Record<string, unknown>>
  properties['$schema'] = { type: 'string', description: 'The JSON Schema of this file, for editors.' }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'attendance-stream configuration',
    ...schema,
  }
}
