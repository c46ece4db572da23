import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { isRight } from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { configSchemaText, documentedKeys, SCHEMA_FILE } from '../../scripts/configSchema.js'
import { defaultsByPath, schemaAt } from '../../src/config/configSchema.js'
import { PipelineConfigInput } from '../../src/config/pipelineConfig.js'
import { schemaProblems } from './jsonSchemaSubset.js'

// config.schema.json is what editors validate config files with: it must be the generated one, and agree with the
// codec the service decodes with.
const committedText = readFileSync(SCHEMA_FILE, 'utf8')
const schema = JSON.parse(committedText) as Record<string, unknown>
const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8')
const docExamples = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map(
  (m) => JSON.parse(m[1] as string) as Record<string, unknown>,
)
const [minimalExample, fullExample] = docExamples as [Record<string, unknown>, Record<string, unknown>]

const byCodec = (config: unknown) => isRight(PipelineConfigInput.decode(config))
const bySchema = (config: unknown) => schemaProblems(schema, config)

const TOKEN = 'pat-na1-00000000-1111-2222-3333-444444444444'
const base = () => ({
  kafka: {
    brokers: ['localhost:9092'],
    groupId: 'attendance',
    inputTopics: ['scans'],
    resultsTopic: 'attendance-results',
    errorsTopic: 'attendance-errors',
  },
  hubspot: { accounts: { default: { token: TOKEN } } },
})
type Config = ReturnType<typeof base> & Record<string, unknown>
const edit = (change: (config: Config) => void): Config => {
  const config = base() as Config
  change(config)
  return config
}
const account = (config: Config) => config.hubspot.accounts.default as Record<string, unknown>

describe('config.schema.json', () => {
  it('is the file `npm run schema` generates from the codec and the docs', () => {
    expect(committedText).toBe(configSchemaText(doc))
  })

  it('is shipped in the package and named by the docs as editors find it in node_modules', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      files: string[]
    }
    expect(pkg.files).toContain('config.schema.json')
    expect(minimalExample['$schema']).toBe('./node_modules/attendance-stream/config.schema.json')
  })

  it('has every key documented in docs/configuration.md, with its meaning as description', () => {
    const keys = documentedKeys(doc)
    expect(keys.length).toBeGreaterThan(40)
    for (const { path, meaning } of keys) {
      expect.soft(() => schemaAt(schema, path), path.join('.')).not.toThrow()
      expect.soft(schemaAt(schema, path)['description'], path.join('.')).toBe(meaning)
    }
    expect(keys.map((k) => k.path.join('.'))).toEqual(
      expect.arrayContaining(['kafka.brokers', 'hubspot.accounts.*.metricsLabel', 'hubspot.timeouts.bodyMs']),
    )
  })

  it('documents every key it has (keys inside a documented object, e.g. sasl.username, are covered by it)', () => {
    const undocumented: string[] = []
    const walk = (node: Record<string, unknown>, path: string[], documented: boolean) => {
      const properties = node['properties'] as Record<string, Record<string, unknown>> | undefined
      const children: Array<[string, Record<string, unknown>]> = Object.entries(properties ?? {})
      const values = node['additionalProperties']
      if (typeof values === 'object' && values !== null)
        children.push(['*', values as Record<string, unknown>])
      for (const [key, child] of children) {
        const isDocumented = documented || child['description'] !== undefined
        if (
          !isDocumented &&
          child['properties'] === undefined &&
          typeof child['additionalProperties'] !== 'object'
        )
          undocumented.push([...path, key].join('.'))
        walk(child, [...path, key], isDocumented)
      }
    }
    walk(schema, [], false)
    expect(undocumented).toEqual([])
  })

  it('has every default of src/config/defaults.ts as the default of its key, valid by its own schema', () => {
    const defaults = defaultsByPath()
    expect(defaults.length).toBeGreaterThan(25)
    for (const [path, value] of defaults) {
      const node = schemaAt(schema, path)
      expect.soft(node['default'], path.join('.')).toEqual(value)
      expect.soft(schemaProblems(node, value), path.join('.')).toEqual([])
    }
  })

  it('accepts what the codec accepts: the docs examples and configs that use every key', () => {
    const withToken = { ...minimalExample, hubspot: { accounts: { default: { token: TOKEN } } } }
    const valid: unknown[] = [
      withToken,
      fullExample,
      base(),
      edit((c) => {
        c.kafka.brokers = ['[::1]:9092', 'kafka-1.example.com:65535']
        Object.assign(c.kafka, { ssl: true, fromBeginning: false, sessionTimeoutMs: 1 })
        Object.assign(account(c), { baseUrl: 'http://127.0.0.1:8080', mode: 'upsert', apiVersion: 'v3' })
        c['decode'] = { notBefore: 0, maxFutureMs: 0 }
        c['batching'] = { maxWaitMs: 0 }
        c['metrics'] = { port: 0 }
        c['limits'] = { maxValueBytes: 1_048_576 }
      }),
      edit((c) => {
        c.hubspot.accounts = {
          eu: { oauth: { clientId: 'c', clientSecret: 's', refreshToken: 'r' } },
        } as never
        Object.assign(c.hubspot, { defaultAccount: 'eu', topicAccounts: { scans: 'eu' } })
        c['decode'] = { notBefore: '2026-01-01T00:00+01:00' }
      }),
    ]
    for (const config of valid) {
      expect(byCodec(config)).toBe(true)
      expect(bySchema(config)).toEqual([])
    }
  })

  it('refuses what the codec refuses, for the rules JSON Schema can express', () => {
    const invalid: Array<[string, unknown]> = [
      [
        'unknown top-level key',
        edit((c) => {
          c['batchng'] = {}
        }),
      ],
      [
        'unknown nested key',
        edit((c) => {
          c['batching'] = { maxBatchSzie: 10 }
        }),
      ],
      ['missing kafka.brokers', edit((c) => delete (c.kafka as Partial<Config['kafka']>).brokers)],
      [
        'empty brokers',
        edit((c) => {
          c.kafka.brokers = []
        }),
      ],
      [
        'broker without port',
        edit((c) => {
          c.kafka.brokers = ['localhost']
        }),
      ],
      [
        'bad topic name',
        edit((c) => {
          c.kafka.resultsTopic = 'a topic'
        }),
      ],
      [
        'topic ".."',
        edit((c) => {
          c.kafka.errorsTopic = '..'
        }),
      ],
      [
        'blank groupId',
        edit((c) => {
          c.kafka.groupId = '  '
        }),
      ],
      [
        'zero batch size',
        edit((c) => {
          c['batching'] = { maxBatchSize: 0 }
        }),
      ],
      [
        'fractional delay',
        edit((c) => {
          c['retry'] = { baseDelayMs: 1.5 }
        }),
      ],
      [
        'port too large',
        edit((c) => {
          c['metrics'] = { port: 65_536 }
        }),
      ],
      [
        'maxValueBytes above 1 MiB',
        edit((c) => {
          c['limits'] = { maxValueBytes: 1_048_577 }
        }),
      ],
      [
        'unknown log level',
        edit((c) => {
          c['log'] = { level: 'trace' }
        }),
      ],
      [
        'unknown apiVersion',
        edit((c) => {
          account(c)['apiVersion'] = 'v4'
        }),
      ],
      [
        'token with a space',
        edit((c) => {
          account(c)['token'] = 'pat na1'
        }),
      ],
      [
        'token and oauth',
        edit((c) => {
          account(c)['oauth'] = { clientId: 'c', clientSecret: 's', refreshToken: 'r' }
        }),
      ],
      [
        'oauth missing a field',
        edit((c) => {
          c.hubspot.accounts = { default: { oauth: { clientId: 'c' } } } as never
        }),
      ],
      [
        'account named __proto__',
        edit((c) => {
          c.hubspot.accounts = JSON.parse('{"__proto__": {"token": "x"}}')
        }),
      ],
      [
        'ftp base URL',
        edit((c) => {
          account(c)['baseUrl'] = 'ftp://hubapi.com'
        }),
      ],
      [
        'sasl mechanism',
        edit((c) => Object.assign(c.kafka, { sasl: { mechanism: 'gssapi', username: 'u', password: 'p' } })),
      ],
      ['ssl as a string', edit((c) => Object.assign(c.kafka, { ssl: 'yes' }))],
      [
        'notBefore without offset',
        edit((c) => {
          c['decode'] = { notBefore: '2026-01-01T00:00' }
        }),
      ],
      [
        'onConfigFault',
        edit((c) => {
          c['onConfigFault'] = 'ignore'
        }),
      ],
    ]
    for (const [what, config] of invalid) {
      expect.soft(byCodec(config), what).toBe(false)
      expect.soft(bySchema(config), what).not.toEqual([])
    }
  })

  it('differs from the codec only where it says so: an account without credentials (they come from the environment)', () => {
    const fromEnv = edit((c) => {
      c.hubspot.accounts = { default: {} } as never
    })
    expect(byCodec(fromEnv)).toBe(false)
    expect(bySchema(fromEnv)).toEqual([])
  })

  it('never refuses a config the codec accepts (random edits of the full example)', () => {
    const paths: string[][] = []
    const collect = (value: unknown, path: string[]) => {
      paths.push(path)
      if (typeof value === 'object' && value !== null && !Array.isArray(value))
        for (const [key, item] of Object.entries(value)) collect(item, [...path, key])
    }
    collect(fullExample, [])
    const edits = paths.filter((p) => p.length > 0)
    fc.assert(
      fc.property(fc.constantFrom(...edits), fc.jsonValue(), (path, value) => {
        const config = structuredClone(fullExample) as Record<string, unknown>
        let node = config
        for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>
        node[path.at(-1) as string] = value
        if (byCodec(config)) expect(bySchema(config)).toEqual([])
      }),
      { numRuns: 2_000 },
    )
  })
})
