// `npm run schema`: writes config.schema.json (the configuration file's JSON Schema, for editors) from the config
// codec (src/config/configSchema.ts) and the key tables of docs/configuration.md (descriptions). `--check` only
// compares, and exits 1 when the committed file is stale. test/config/configSchema.test.ts checks it too.
import { readFileSync, writeFileSync } from 'node:fs'
import { configJsonSchema, schemaAt } from '../src/config/configSchema.js'
import type { JsonSchema } from '../src/config/rules.js'

export const SCHEMA_FILE = new URL('../config.schema.json', import.meta.url)
const DOC_FILE = new URL('../docs/configuration.md', import.meta.url)

/** A key documented in a table of docs/configuration.md: its config path (`*`: any account) and meaning. */
export interface DocumentedKey {
  readonly path: readonly string[]
  readonly meaning: string
}

/**
 * The keys of docs/configuration.md's tables. A section's heading names its prefix (`## \`kafka\``,
 * `### \`hubspot.accounts.<name>\``); "Other keys" lists full paths; the environment variables end the tables.
 */
export const documentedKeys = (markdown: string): DocumentedKey[] => {
  const keys: DocumentedKey[] = []
  let prefix: string[] | undefined
  for (const line of markdown.split('\n')) {
    if (line.startsWith('## Environment overrides')) break
    const heading = /^#{2,3} (.*)$/.exec(line)
    if (heading !== null) {
      const named = /^`([^`]+)`$/.exec(heading[1] as string)
      prefix =
        named !== null
          ? (named[1] as string).split('.').map((k) => (k === '<name>' ? '*' : k))
          : heading[1] === 'Other keys'
            ? []
            : undefined
      continue
    }
    const row = /^\| `([^`]+)` \| [^|]* \| (.*) \|$/.exec(line)
    if (row === null || prefix === undefined) continue
    keys.push({ path: [...prefix, ...(row[1] as string).split('.')], meaning: plainText(row[2] as string) })
  }
  return keys
}

// Editors show a description as plain text: drop the Markdown marks, keep the words.
const plainText = (markdown: string): string =>
  markdown
    .replace(/\\\|/g, '|')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/`([^`]*)`/g, '$1')

/** The file's content: the codec's schema, with each documented key's meaning as its description. */
export const configSchemaText = (markdown: string = readFileSync(DOC_FILE, 'utf8')): string => {
  const schema: JsonSchema = configJsonSchema()
  for (const { path, meaning } of documentedKeys(markdown)) schemaAt(schema, path)['description'] = meaning
  return `${JSON.stringify(schema, null, 2)}\n`
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = configSchemaText()
  if (process.argv.includes('--check')) {
    const committed = readFileSync(SCHEMA_FILE, 'utf8')
    if (committed !== text) {
      console.error('config.schema.json is stale: run `npm run schema`')
      process.exit(1)
    }
  } else {
    writeFileSync(SCHEMA_FILE, text)
    console.error(`wrote ${SCHEMA_FILE.pathname}`)
  }
}
