import { readFileSync } from 'node:fs'
import { isRight } from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { ENV_OVERRIDES } from '../../src/config/loadConfig.js'
import { resolvePipelineConfig } from '../../src/config/pipelineConfig.js'

// docs/configuration.md is contract for users: its examples must resolve and its variable table must be complete.
const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8')
const jsonBlocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map(
  (m) => JSON.parse(m[1] as string) as unknown,
)

describe('docs/configuration.md', () => {
  it('has examples that resolve (the minimal one once a token is added)', () => {
    expect(jsonBlocks).toHaveLength(3)
    const [minimal, ...others] = jsonBlocks as [Record<string, Record<string, unknown>>, ...unknown[]]
    const withToken = { ...minimal, hubspot: { accounts: { default: { token: 'pat-x' } } } }
    for (const example of [withToken, ...others]) {
      const resolved = resolvePipelineConfig(example)
      expect(isRight(resolved) ? [] : resolved.left).toEqual([])
    }
  })

  it('lists exactly the environment variables loadConfig reads', () => {
    const section = doc.slice(doc.indexOf('## Environment overrides'), doc.indexOf('## Full example'))
    const documented = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1])
    expect(documented).toEqual(ENV_OVERRIDES.map(([name]) => name))
  })
})
