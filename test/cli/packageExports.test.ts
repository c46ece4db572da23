import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

type Conditions = Record<string, string>
const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as {
  exports: Record<string, Conditions | string>
  engines: { node: string }
}

// require() of the ESM build works on Node >= 20.19 / >= 22.12 (require(esm) without a flag) when the exports map
// lets a `require` resolve: a `default` condition after `import`, pointing at the same file, does that.
describe('package.json exports', () => {
  it.each(['.', './testing'])('%s resolves for import and for require, to the one ESM build', (entry) => {
    const conditions = manifest.exports[entry] as Conditions
    expect(Object.keys(conditions)).toEqual(['types', 'import', 'default'])
    expect(conditions['default']).toBe(conditions['import'])
    expect(conditions['import']).toMatch(/^\.\/dist\/.*\.js$/)
  })
})
