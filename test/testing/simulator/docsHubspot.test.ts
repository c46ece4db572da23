import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'

// The docs' paste-able example is the example test itself, with package imports: it cannot rot.
it('docs/hubspot.md shows docsExample.test.ts verbatim', () => {
  const doc = readFileSync(new URL('../../../docs/hubspot.md', import.meta.url), 'utf8')
  const example = readFileSync(new URL('./docsExample.test.ts', import.meta.url), 'utf8')
    .replace("'../../../src/sinks/hubspot/client.js'", "'attendance-stream'")
    .replace("'../../../src/testing/index.js'", "'attendance-stream/testing'")
  const block =
    /<!-- example: test\/testing\/simulator\/docsExample\.test\.ts[^>]*-->\n```ts\n([\s\S]*?)```/.exec(
      doc,
    )?.[1]
  expect(block).toBe(example)
})
