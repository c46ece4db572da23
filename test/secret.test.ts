import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { isHeaderSafeToken, Secret } from '../src/secret.js'

const VALUE = 'pat-na1-SECRET-VALUE-0001'

describe('Secret', () => {
  it('never shows its value: inspect (any options), JSON, String, template literals, concatenation', () => {
    const secret = new Secret(VALUE)
    const holder = { token: secret, nested: [{ secret }] }
    const printed = [
      inspect(secret),
      inspect(holder, { depth: 10, showHidden: true }),
      inspect(holder, { depth: 10, customInspect: false, showHidden: true }),
      JSON.stringify(holder),
      String(secret),
      `${secret}`,
      // Concatenation is one of the ways a value leaks.
      'Bearer ' + secret,
      Object.getOwnPropertyNames(secret).join(','),
      JSON.stringify(structuredClone(holder)),
    ]
    for (const text of printed) expect(text).not.toContain('SECRET-VALUE')
    expect(inspect(secret)).toBe('Secret([REDACTED])')
    expect(JSON.stringify(holder)).toBe('{"token":"[REDACTED]","nested":[{"secret":"[REDACTED]"}]}')
  })

  it('reveals its value on request, and wraps a string once', () => {
    const secret = Secret.of(VALUE)
    expect(secret.reveal()).toBe(VALUE)
    expect(Secret.of(secret)).toBe(secret)
  })

  it('knows which tokens a header can carry', () => {
    expect(isHeaderSafeToken(VALUE)).toBe(true)
    for (const bad of ['', 'a b', 'a\r\nb', 'a\nb', 'a\tb', 'a\u0000', 'tök', 'a\u007f'])
      expect(isHeaderSafeToken(bad), JSON.stringify(bad)).toBe(false)
  })
})
