import fc from 'fast-check'
import { isRight } from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { createJsonLogger } from '../../src/cli/jsonLogger.js'
import { resolvePipelineConfig } from '../../src/config/pipelineConfig.js'
import { AttendanceStreamError } from '../../src/errors.js'
import { Secret } from '../../src/secret.js'

const TOKEN = 'pat-na1-0a1b2c3d-1111-2222-3333-444455556666'
const NOW = Date.parse('2026-11-29T09:14:03.120Z')

const capture = () => {
  const lines: string[] = []
  return {
    stream: { write: (line: string) => lines.push(line) },
    lines,
    parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  }
}

describe('createJsonLogger', () => {
  it('writes one JSON object per line: time, level, msg, then fields', () => {
    const out = capture()
    const log = createJsonLogger({ stream: out.stream, now: () => NOW })
    log.info('batch sent', { batchId: 'b-1', size: 87, offset: 12n })
    expect(out.lines).toEqual([
      '{"time":"2026-11-29T09:14:03.120Z","level":"info","msg":"batch sent","batchId":"b-1","size":87,"offset":"12"}\n',
    ])
  })

  it('redacts a configured secret whatever its case, and prints a Secret field as [REDACTED]', () => {
    const out = capture()
    const log = createJsonLogger({ stream: out.stream, secrets: [TOKEN], now: () => NOW })
    const resolved = resolvePipelineConfig({
      kafka: { brokers: ['k:9092'], groupId: 'g', inputTopics: ['in'], resultsTopic: 'r', errorsTopic: 'e' },
      hubspot: { accounts: { default: { token: TOKEN } } },
    })
    if (!isRight(resolved)) throw new Error(resolved.left.join('\n'))
    log.warn(`bad level ${TOKEN.toLowerCase()} / ${TOKEN.toUpperCase()}`, {
      config: resolved.right,
      held: new Secret('held-as-a-secret'),
    })
    const text = out.lines.join('')
    expect(text.toLowerCase()).not.toContain(TOKEN.toLowerCase())
    expect(text).not.toContain('held-as-a-secret')
    expect(out.parsed()[0]).toMatchObject({
      msg: 'bad level [REDACTED] / [REDACTED]',
      held: '[REDACTED]',
      config: { hubspot: { accounts: { default: { token: '[REDACTED]' } } } },
    })
  })

  it('drops lines below its level', () => {
    const out = capture()
    const log = createJsonLogger({ stream: out.stream, level: 'warn', now: () => NOW })
    log.debug('d')
    log.info('i')
    log.warn('w')
    log.error('e')
    expect(out.parsed().map((l) => l['level'])).toEqual(['warn', 'error'])
    expect(log.isLevelEnabled('info')).toBe(false)
    expect(log.isLevelEnabled('error')).toBe(true)
  })

  it('child loggers add their fields and share level and sink; reserved keys are not overwritten', () => {
    const out = capture()
    const log = createJsonLogger({
      stream: out.stream,
      now: () => NOW,
      fields: { service: 'attendance-stream' },
    })
    const child = log.child({ partition: 3 }).child({ topic: 'scans' })
    child.debug('hidden')
    child.info('fetched', { count: 2, msg: 'not the message', level: 'x' })
    expect(out.parsed()).toEqual([
      {
        time: '2026-11-29T09:14:03.120Z',
        level: 'info',
        msg: 'fetched',
        service: 'attendance-stream',
        partition: 3,
        topic: 'scans',
        count: 2,
        _msg: 'not the message',
        _level: 'x',
      },
    ])
  })

  it('never prints a configured token: in msg, nested fields, an Error message or stack, a header', () => {
    const out = capture()
    const log = createJsonLogger({ stream: out.stream, secrets: [TOKEN], now: () => NOW })
    const failure = new AttendanceStreamError('HUBSPOT_UNAUTHENTICATED', `token ${TOKEN} was rejected`, {
      context: { account: 'default', request: { url: `https://api.hubapi.com/x?hapikey=${TOKEN}` } },
      cause: new Error(`upstream said ${TOKEN}`),
    })
    log.error(`calling with ${TOKEN}`, {
      nested: { deeper: [{ value: `x${TOKEN}y` }] },
      err: failure,
      headers: { Authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      fetchHeaders: new Headers({ authorization: 'Bearer some-runtime-token' }),
      rawHeaders: ['authorization', `Bearer ${TOKEN}`],
    })
    const [line] = out.lines
    expect(line).toBeDefined()
    expect(line).not.toContain(TOKEN)
    expect(line).not.toContain('some-runtime-token')
    const entry = JSON.parse(line as string)
    expect(entry.msg).toBe('calling with [REDACTED]')
    expect(entry.nested).toEqual({ deeper: [{ value: 'x[REDACTED]y' }] })
    expect(entry.headers).toEqual({ Authorization: '[REDACTED]', 'content-type': 'application/json' })
    expect(entry.fetchHeaders).toEqual({ authorization: '[REDACTED]' })
    expect(entry.rawHeaders).toEqual(['authorization', 'Bearer [REDACTED]'])
    expect(entry.err).toMatchObject({
      name: 'AttendanceStreamError',
      message: 'token [REDACTED] was rejected',
      code: 'HUBSPOT_UNAUTHENTICATED',
      retryable: false,
      context: { account: 'default', request: { url: 'https://api.hubapi.com/x?hapikey=[REDACTED]' } },
      cause: { name: 'Error', message: 'upstream said [REDACTED]' },
    })
    expect(entry.err.stack).toMatch(/^AttendanceStreamError: token \[REDACTED\] was rejected\n\s+at /)
  })

  it('never prints a configured token used as a key: of a field, a nested object or a Map', () => {
    const out = capture()
    const log = createJsonLogger({ stream: out.stream, secrets: [TOKEN], now: () => NOW })
    // The HubSpot simulator's counters are keyed by token, and anything keyed by account credentials is too.
    log.info('counters', {
      [TOKEN]: 1,
      perAccount: { [TOKEN]: { requests: 3 } },
      perClient: new Map([[TOKEN, 2]]),
    })
    const [line] = out.lines
    expect(line).not.toContain(TOKEN)
    expect(JSON.parse(line as string)).toMatchObject({
      '[REDACTED]': 1,
      perAccount: { '[REDACTED]': { requests: 3 } },
      perClient: { '[REDACTED]': 2 },
    })
  })

  it('redacts credential-named keys whatever their value, and HubSpot-shaped tokens nobody configured', () => {
    const out = capture()
    const log = createJsonLogger({ stream: out.stream, now: () => NOW })
    log.info('config loaded', {
      hubspot: { accounts: { default: { token: 'anything', requestsPer10s: 90 } } },
      sasl: { username: 'svc', password: 'hunter2' },
      accessToken: { value: 'nested' },
      tokens: 12,
      note: `leaked ${TOKEN} here`,
    })
    const entry = out.parsed()[0]
    expect(entry).toMatchObject({
      hubspot: { accounts: { default: { token: '[REDACTED]', requestsPer10s: 90 } } },
      sasl: { username: 'svc', password: '[REDACTED]' },
      accessToken: '[REDACTED]',
      tokens: 12,
      note: 'leaked [REDACTED] here',
    })
  })

  it('prints cycles, deep nesting, buffers and odd numbers without throwing', () => {
    const out = capture()
    const log = createJsonLogger({ stream: out.stream, now: () => NOW })
    const cyclic: Record<string, unknown> = { name: 'a' }
    cyclic['self'] = cyclic
    const shared = { n: 1 }
    let deep: Record<string, unknown> = { leaf: true }
    for (let i = 0; i < 20; i++) deep = { deep }
    log.info('odd', {
      cyclic,
      pair: [shared, shared],
      deep,
      value: Buffer.from('secret bytes'),
      ratio: Number.NaN,
      when: new Date(NOW),
      fn: function handler() {},
    })
    const entry = out.parsed()[0] as Record<string, unknown>
    expect(entry['cyclic']).toEqual({ name: 'a', self: '[Circular]' })
    expect(entry['pair']).toEqual([{ n: 1 }, { n: 1 }])
    expect(JSON.stringify(entry['deep'])).toContain('"[Object]"')
    expect(entry['value']).toBe('[12 bytes]')
    expect(entry['ratio']).toBe('NaN')
    expect(entry['when']).toBe('2026-11-29T09:14:03.120Z')
    expect(entry['fn']).toBe('[Function handler]')
  })
})

describe('createJsonLogger redaction (property)', () => {
  it('never prints a configured secret, wherever in the fields it is embedded', () => {
    const secret = 'tok-9f8e7d6c5b4a'
    // Strings that may contain the secret anywhere; keys from a pool of ordinary and credential-like names.
    const text = fc
      .tuple(fc.string(), fc.boolean(), fc.string())
      .map(([a, embed, b]) => (embed ? `${a}${secret}${b}` : `${a}${b}`))
    const key = fc.constantFrom('a', 'message', 'url', 'headers', 'authorization', 'detail', 'items')
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small' },
        text,
        fc.integer(),
        fc.array(tie('tree'), { maxLength: 4 }),
        fc.dictionary(key, tie('tree'), { maxKeys: 4 }),
        text.map((m) => new Error(m)),
      ),
    }))
    fc.assert(
      fc.property(text, fc.dictionary(key, tree, { maxKeys: 5 }), (msg, fields) => {
        const out = capture()
        createJsonLogger({ stream: out.stream, secrets: [secret], now: () => NOW }).error(msg, fields)
        expect(out.lines).toHaveLength(1)
        expect(out.lines[0]).not.toContain(secret)
      }),
      { numRuns: 300 },
    )
  })
})
