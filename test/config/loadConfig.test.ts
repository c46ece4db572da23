import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Either } from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/loadConfig.js'
import type { PipelineConfig } from '../../src/config/pipelineConfig.js'
import { kafkaConfigOf } from '../../src/streams/kafkaClientConfig.js'
import { config, problems, secret } from './configResults.js'

const TOKEN = 'pat-na1-0a1b2c3d-1111-2222-3333-444455556666'

const dir = mkdtempSync(join(tmpdir(), 'attendance-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let files = 0
const writeConfig = (content: unknown): string => {
  const file = join(dir, `config-${++files}.json`)
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2))
  return file
}

const fileConfig = {
  kafka: {
    brokers: ['kafka-1:9092'],
    groupId: 'attendance',
    inputTopics: ['scans'],
    resultsTopic: 'attendance-results',
    errorsTopic: 'attendance-errors',
  },
  hubspot: { accounts: { default: { requestsPer10s: 150 } } },
}

describe('loadConfig', () => {
  it('merges the file with the token from the environment', () => {
    const resolved = config(loadConfig({ file: writeConfig(fileConfig), env: { HUBSPOT_TOKEN: TOKEN } }))
    expect(resolved.hubspot.accounts['default']).toMatchObject({ token: secret(TOKEN), requestsPer10s: 150 })
    expect(resolved.kafka.brokers).toEqual(['kafka-1:9092'])
  })

  it('never writes the token into Object.prototype when defaultAccount is "__proto__"', () => {
    const file = writeConfig({ ...fileConfig, hubspot: { defaultAccount: '__proto__', accounts: {} } })
    try {
      const result = loadConfig({ file, env: { HUBSPOT_TOKEN: TOKEN } })
      expect(Object.hasOwn(Object.prototype, 'token')).toBe(false)
      expect(problems(result).join('\n')).not.toContain(TOKEN)
    } finally {
      delete (Object.prototype as Record<string, unknown>)['token']
    }
  })

  it('lets every environment variable override the file', () => {
    const resolved = config(
      loadConfig({
        file: writeConfig(fileConfig),
        env: {
          KAFKA_BROKERS: ' kafka-a:9092, kafka-b:9093 ,',
          KAFKA_GROUP_ID: 'group-2',
          KAFKA_CLIENT_ID: 'member-7',
          INPUT_TOPICS: 'scans,checkins',
          RESULTS_TOPIC: 'results-2',
          ERRORS_TOPIC: 'errors-2',
          HUBSPOT_TOKEN: TOKEN,
          HUBSPOT_BASE_URL: 'http://127.0.0.1:4010',
          HUBSPOT_API_VERSION: '2026-09',
          METRICS_PORT: '9464',
          LOG_LEVEL: 'DEBUG',
          UNRELATED: 'ignored',
        },
      }),
    )
    expect(resolved.kafka).toMatchObject({
      brokers: ['kafka-a:9092', 'kafka-b:9093'],
      groupId: 'group-2',
      clientId: 'member-7',
      inputTopics: ['scans', 'checkins'],
      resultsTopic: 'results-2',
      errorsTopic: 'errors-2',
    })
    expect(resolved.hubspot.accounts['default']).toMatchObject({
      token: secret(TOKEN),
      baseUrl: 'http://127.0.0.1:4010',
      apiVersion: '2026-09',
      requestsPer10s: 150,
    })
    expect(resolved.metrics.port).toBe(9464)
    expect(resolved.log.level).toBe('debug')
  })

  it('works from the environment alone, and treats empty variables as unset', () => {
    const resolved = config(
      loadConfig({
        env: {
          KAFKA_BROKERS: 'localhost:9092',
          KAFKA_GROUP_ID: 'g',
          INPUT_TOPICS: 'scans',
          RESULTS_TOPIC: 'results',
          ERRORS_TOPIC: 'errors',
          HUBSPOT_TOKEN: TOKEN,
          KAFKA_CLIENT_ID: '',
          METRICS_PORT: '  ',
        },
      }),
    )
    expect(resolved.kafka.clientId).toBe('attendance-stream')
    expect(resolved.metrics.port).toBeUndefined()
  })

  it('puts the HubSpot variables on the account the file names as default', () => {
    const file = writeConfig({
      ...fileConfig,
      hubspot: { defaultAccount: 'eu', accounts: { eu: {}, us: { token: 'pat-us-token' } } },
    })
    const resolved = config(
      loadConfig({ file, env: { HUBSPOT_TOKEN: TOKEN, HUBSPOT_API_VERSION: '2026-03' } }),
    )
    expect(resolved.hubspot.accounts['eu']).toMatchObject({ token: secret(TOKEN), apiVersion: '2026-03' })
    expect(resolved.hubspot.accounts['us']).toMatchObject({
      token: secret('pat-us-token'),
      apiVersion: '2026-09',
    })
  })

  it('lists every problem, naming the variable a bad value came from', () => {
    expect(
      problems(
        loadConfig({
          file: writeConfig({
            ...fileConfig,
            kafka: { ...fileConfig.kafka, groupId: '' },
            batching: { maxWaitMs: -1 },
          }),
          env: { KAFKA_BROKERS: 'kafka-1', METRICS_PORT: 'http', LOG_LEVEL: 'loud' },
        }),
      ),
    ).toEqual([
      'kafka.brokers.0: expected a host:port string, got "kafka-1" (from KAFKA_BROKERS)',
      'kafka.groupId: expected a non-empty string, got ""',
      'hubspot.accounts.default.token: missing, expected a token (or oauth: { clientId, clientSecret, refreshToken })',
      'batching.maxWaitMs: expected an integer ≥ 0, got -1',
      'metrics.port: expected a port number from 0 to 65535, got "http" (from METRICS_PORT)',
      'log.level: expected one of "debug", "info", "warn", "error", got "loud" (from LOG_LEVEL)',
    ])
  })

  it('reports a missing file, a directory, invalid JSON and a non-object clearly', () => {
    const missing = join(dir, 'nope.json')
    expect(problems(loadConfig({ file: missing, env: {} }))).toEqual([`config file "${missing}": not found`])
    expect(problems(loadConfig({ file: dir, env: {} }))).toEqual([
      `config file "${dir}": cannot be read (EISDIR)`,
    ])
    const broken = writeConfig('{\n  "kafka": {\n    "brokers": ["a:1"],,\n  }\n}')
    expect(problems(loadConfig({ file: broken, env: {} }))).toEqual([
      `config file "${broken}": invalid JSON at line 3, column 24`,
    ])
    const array = writeConfig('[1, 2]')
    expect(problems(loadConfig({ file: array, env: {} }))).toEqual([
      `config file "${array}": expected a JSON object at the top level, got an array`,
    ])
  })

  it('never puts a token in a problem line', () => {
    // The token where a token belongs, in the wrong place, in an env variable, and as unparseable JSON.
    const cases: Array<Either<string[], PipelineConfig>> = [
      loadConfig({
        file: writeConfig({ ...fileConfig, hubspot: { accounts: { default: TOKEN } } }),
        env: {},
      }),
      loadConfig({
        file: writeConfig({
          ...fileConfig,
          kafka: { ...fileConfig.kafka, clientId: '', groupId: TOKEN.slice(0, 3) },
          hubspot: { accounts: { default: { token: TOKEN, baseUrl: TOKEN, tokne: TOKEN } } },
        }),
        env: {},
      }),
      loadConfig({
        file: writeConfig(fileConfig),
        env: { HUBSPOT_TOKEN: TOKEN, KAFKA_GROUP_ID: TOKEN, RESULTS_TOPIC: '#' },
      }),
      loadConfig({
        file: writeConfig(`{"hubspot": {"accounts": {"default": {"token": ${TOKEN}}}}}`),
        env: {},
      }),
      loadConfig({ file: writeConfig(fileConfig), env: { HUBSPOT_TOKEN: TOKEN, METRICS_PORT: TOKEN } }),
    ]
    for (const result of cases) {
      const lines = problems(result)
      expect(lines.length).toBeGreaterThan(0)
      for (const line of lines) expect(line).not.toContain(TOKEN)
    }
    expect(problems(cases[4] as Either<string[], PipelineConfig>)).toEqual([
      'metrics.port: expected a port number from 0 to 65535, got "[REDACTED]" (from METRICS_PORT)',
    ])
  })

  it('scrubs secrets as written, before any transform: a token pasted into LOG_LEVEL is lower-cased, then caught', () => {
    const upper = 'PAT-NA1-ABCDEF01-2345-6789-ABCD-EF0123456789-XYZ'
    const lines = problems(
      loadConfig({ file: writeConfig(fileConfig), env: { HUBSPOT_TOKEN: ` ${upper} `, LOG_LEVEL: upper } }),
    )
    expect(lines).toEqual([
      'log.level: expected one of "debug", "info", "warn", "error", got "[REDACTED]" (from LOG_LEVEL)',
    ])
    const oauth = problems(
      loadConfig({
        file: writeConfig(fileConfig),
        env: {
          HUBSPOT_CLIENT_SECRET: 'Client-Secret-Q',
          HUBSPOT_REFRESH_TOKEN: 'rt',
          LOG_LEVEL: 'Client-Secret-Q',
        },
      }),
    )
    for (const line of oauth) expect(line.toLowerCase()).not.toContain('client-secret-q')
  })

  it('refuses a token with CR/LF from the environment as a config problem, without echoing it', () => {
    expect(
      problems(
        loadConfig({ file: writeConfig(fileConfig), env: { HUBSPOT_TOKEN: `${TOKEN}\r\nX-Evil: 1` } }),
      ),
    ).toEqual([
      `hubspot.accounts.default.token: expected a token of visible ASCII characters (no spaces, CR, LF or other control characters), got a string of ${TOKEN.length + 11} characters (from HUBSPOT_TOKEN)`,
    ])
  })

  it('configures an OAuth app from the environment', () => {
    const resolved = config(
      loadConfig({
        file: writeConfig(fileConfig),
        env: { HUBSPOT_CLIENT_ID: 'cid', HUBSPOT_CLIENT_SECRET: 'csecret', HUBSPOT_REFRESH_TOKEN: 'rtoken' },
      }),
    )
    expect(resolved.hubspot.accounts['default']).toMatchObject({
      token: undefined,
      oauth: { clientId: secret('cid'), clientSecret: secret('csecret'), refreshToken: secret('rtoken') },
    })
  })

  it('configures SASL from the environment, the password a secret that no problem line shows', () => {
    const resolved = config(
      loadConfig({
        file: writeConfig(fileConfig),
        env: {
          HUBSPOT_TOKEN: TOKEN,
          KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
          KAFKA_SASL_USERNAME: 'svc-attendance',
          KAFKA_SASL_PASSWORD: 'Sasl-Pass-Z',
        },
      }),
    )
    expect(resolved.kafka.sasl).toMatchObject({ mechanism: 'scram-sha-512', username: 'svc-attendance' })
    expect(resolved.kafka.sasl?.password.reveal()).toBe('Sasl-Pass-Z')
    // Pasted into the wrong variable, the password is still scrubbed (as written, whatever the case).
    const lines = problems(
      loadConfig({
        file: writeConfig(fileConfig),
        env: { HUBSPOT_TOKEN: TOKEN, KAFKA_SASL_PASSWORD: 'Sasl-Pass-Z', LOG_LEVEL: 'Sasl-Pass-Z' },
      }),
    )
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) expect(line.toLowerCase()).not.toContain('sasl-pass-z')
  })
})

describe('loadConfig: kafka.ssl.caFile', () => {
  const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
  const withSsl = (ssl: unknown) => ({ ...fileConfig, kafka: { ...fileConfig.kafka, ssl } })
  const env = { HUBSPOT_TOKEN: TOKEN }

  it('accepts a readable PEM file, and kafkaConfigOf hands kafkajs its text as ca (the other options kept)', () => {
    const caFile = join(dir, 'ca.pem')
    writeFileSync(caFile, PEM)
    const resolved = config(
      loadConfig({ file: writeConfig(withSsl({ caFile, minVersion: 'TLSv1.2' })), env }),
    )
    expect(resolved.kafka.ssl).toEqual({ caFile, minVersion: 'TLSv1.2' })
    expect(kafkaConfigOf(resolved).ssl).toEqual({ ca: PEM, minVersion: 'TLSv1.2' })
  })

  it('names an unreadable or non-PEM file, an empty path, and ca together with caFile, before connecting', () => {
    const missing = join(dir, 'nowhere.pem')
    expect(problems(loadConfig({ file: writeConfig(withSsl({ caFile: missing })), env }))).toEqual([
      `kafka.ssl.caFile: cannot read ${JSON.stringify(missing)} (ENOENT)`,
    ])
    const notPem = writeConfig({ not: 'a certificate' })
    expect(problems(loadConfig({ file: writeConfig(withSsl({ caFile: notPem })), env }))).toEqual([
      `kafka.ssl.caFile: ${JSON.stringify(notPem)} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    ])
    expect(problems(loadConfig({ file: writeConfig(withSsl({ caFile: ' ' })), env }))).toEqual([
      'kafka.ssl.caFile: expected a path to a PEM file (a non-empty string), got a string of 1 characters',
    ])
    expect(problems(loadConfig({ file: writeConfig(withSsl({ caFile: missing, ca: PEM })), env }))).toEqual([
      'kafka.ssl: either ca (PEM text) or caFile (a path), not both',
    ])
  })
})
