import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import { describeValue, reportErrors } from '../../src/codecs/decodeReporter.js'

const report = (codec: t.Mixed, u: unknown) => {
  const r = codec.decode(u)
  return r._tag === 'Left' ? reportErrors(r.left) : []
}

describe('reportErrors', () => {
  it('reports every problem with its path, skipping intersection and union indices', () => {
    const codec = t.type({
      a: t.intersection([t.type({ b: t.number }), t.partial({ c: t.string })]),
      list: t.array(t.type({ n: t.number })),
      map: t.record(t.string, t.boolean),
    })
    expect(
      report(codec, { a: { b: 'x', c: 1 }, list: [{ n: 1 }, { n: null }], map: { 'odd key': 1, ok: 2 } }),
    ).toEqual([
      'a.b: expected a number, got "x"',
      'a.c: expected a string, got 1',
      'list[1].n: expected a number, got null',
      'map["odd key"]: expected a boolean, got 1',
      'map.ok: expected a boolean, got 2',
    ])
  })

  it('says "missing" for an absent field, and reports the root without a path', () => {
    expect(report(t.type({ id: t.string }), {})).toEqual(['id: missing, expected a string'])
    expect(report(t.string, 3)).toEqual(['expected a string, got 3'])
  })

  it('removes duplicate lines', () => {
    const codec = t.intersection([t.type({ a: t.number }), t.type({ a: t.number })])
    expect(report(codec, { a: 'x' })).toEqual(['a: expected a number, got "x"'])
  })
})

describe('describeValue', () => {
  it('keeps long strings short and says how long they were', () => {
    expect(describeValue('x'.repeat(10_000_000))).toBe(`"${'x'.repeat(60)}…" (10000000 characters)`)
  })

  it('never walks into objects, however deep', () => {
    let deep: unknown = 1
    for (let i = 0; i < 1_000_000; i++) deep = { a: deep }
    expect(describeValue(deep)).toBe('an object')
    expect(describeValue([deep, deep])).toBe('an array of 2')
    expect(describeValue(undefined)).toBe('nothing')
    expect(describeValue(10n)).toBe('10')
  })
})
