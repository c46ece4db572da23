import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { resolvePipelineConfig } from '../../src/config/pipelineConfig.js'
import { kafkaConfigOf } from '../../src/streams/attendancePipeline.js'
import { config, problems, secret } from './configResults.js'

const TOKEN = 'pat-na1-00000000-1111-2222-3333-444444444444'

const minimal = () => ({
  kafka: {
    brokers: ['localhost:9092'],
    groupId: 'attendance',
    inputTopics: ['scans', 'checkins'],
    resultsTopic: 'attendance-results',
    errorsTopic: 'attendance-errors',
  },
  hubspot: { accounts: { default: { token: TOKEN } } },
})

describe('resolvePipelineConfig', () => {
  it('fills every default into a minimal config', () => {
    expect(config(resolvePipelineConfig(minimal()))).toEqual({
      kafka: {
        brokers: ['localhost:9092'],
        clientId: 'attendance-stream',
        groupId: 'attendance',
        inputTopics: ['scans', 'checkins'],
        resultsTopic: 'attendance-results',
        errorsTopic: 'attendance-errors',
        ssl: undefined,
        sasl: undefined,
        sessionTimeoutMs: undefined,
        fromBeginning: true,
      },
      hubspot: {
        accounts: {
          default: {
            token: secret(TOKEN),
            oauth: undefined,
            metricsLabel: 'default',
            baseUrl: 'https://api.hubapi.com',
            apiVersion: '2026-09',
            mode: 'create',
            requestsPer10s: undefined,
            rateLimitHeadroom: 0.05,
            dailyLimit: undefined,
            maxInFlightRequests: 4,
            timeZone: undefined,
          },
        },
        defaultAccount: 'default',
        topicAccounts: {},
        timeouts: { connectMs: 10_000, headersMs: 30_000, bodyMs: 30_000 },
      },
      batching: { maxBatchSize: 100, maxBatchBytes: 524_288, maxWaitMs: 1000, maxOpenBatches: 10_000 },
      retry: { baseDelayMs: 500, maxDelayMs: 30_000, maxAttempts: 6, maxElapsedMs: 300_000 },
      limits: {
        maxInFlightRecords: 50_000,
        maxValueBytes: 65_536,
        drainTimeoutMs: 30_000,
        shutdownTimeoutMs: 30_000,
        commitIntervalMs: 1000,
      },
      decode: { notBefore: 946_684_800_000, maxFutureMs: 86_400_000 },
      onConfigFault: 'stop',
      metrics: { port: undefined, host: '127.0.0.1' },
      log: { level: 'info' },
    })
  })

  it('keeps what the user set over the defaults', () => {
    const resolved = config(
      resolvePipelineConfig({
        $schema: './config.schema.json',
        kafka: {
          ...minimal().kafka,
          clientId: 'member-1',
          fromBeginning: false,
          ssl: { rejectUnauthorized: false },
          sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'hunter2' },
          sessionTimeoutMs: 45_000,
        },
        hubspot: {
          defaultAccount: 'eu',
          accounts: {
            eu: {
              token: TOKEN,
              baseUrl: 'http://127.0.0.1:3000',
              apiVersion: '2026-03',
              mode: 'upsert',
              requestsPer10s: 180,
              dailyLimit: 500_000,
              maxInFlightRequests: 8,
            },
            us: { token: 'pat-other' },
          },
          timeouts: { connectMs: 1000 },
        },
        batching: { maxBatchSize: 50 },
        retry: { maxAttempts: 3 },
        limits: { maxInFlightRecords: 500 },
        decode: { notBefore: '2020-01-01T00:00:00+01:00', maxFutureMs: 0 },
        onConfigFault: 'deadLetter',
        metrics: { port: 0, host: '0.0.0.0' },
        log: { level: 'debug' },
      }),
    )
    expect(resolved.kafka).toMatchObject({
      clientId: 'member-1',
      fromBeginning: false,
      ssl: { rejectUnauthorized: false },
      sasl: { mechanism: 'scram-sha-512', username: 'svc', password: secret('hunter2') },
      sessionTimeoutMs: 45_000,
    })
    expect(resolved.hubspot.defaultAccount).toBe('eu')
    expect(resolved.hubspot.accounts['eu']).toEqual({
      token: secret(TOKEN),
      oauth: undefined,
      metricsLabel: 'eu',
      timeZone: undefined,
      baseUrl: 'http://127.0.0.1:3000',
      apiVersion: '2026-03',
      mode: 'upsert',
      requestsPer10s: 180,
      rateLimitHeadroom: 0.05,
      dailyLimit: 500_000,
      maxInFlightRequests: 8,
    })
    // Not set: the sink starts at 90 and follows HubSpot's headers.
    expect(resolved.hubspot.accounts['us']?.requestsPer10s).toBeUndefined()
    expect(resolved.hubspot.timeouts).toEqual({ connectMs: 1000, headersMs: 30_000, bodyMs: 30_000 })
    expect(resolved.batching.maxBatchSize).toBe(50)
    expect(resolved.batching.maxWaitMs).toBe(1000)
    expect(resolved.retry).toEqual({
      baseDelayMs: 500,
      maxDelayMs: 30_000,
      maxAttempts: 3,
      maxElapsedMs: 300_000,
    })
    expect(resolved.limits.maxInFlightRecords).toBe(500)
    expect(resolved.decode).toEqual({ notBefore: Date.parse('2019-12-31T23:00:00Z'), maxFutureMs: 0 })
    expect(resolved.onConfigFault).toBe('deadLetter')
    expect(resolved.metrics).toEqual({ port: 0, host: '0.0.0.0' })
    expect(resolved.log.level).toBe('debug')
  })

  it('accepts epoch milliseconds for decode.notBefore', () => {
    const resolved = config(resolvePipelineConfig({ ...minimal(), decode: { notBefore: 1_700_000_000_000 } }))
    expect(resolved.decode.notBefore).toBe(1_700_000_000_000)
  })

  it('bounds limits.maxValueBytes at 1 MiB', () => {
    expect(
      config(resolvePipelineConfig({ ...minimal(), limits: { maxValueBytes: 1_048_576 } })).limits
        .maxValueBytes,
    ).toBe(1_048_576)
    expect(problems(resolvePipelineConfig({ ...minimal(), limits: { maxValueBytes: 1_048_577 } }))).toEqual([
      'limits.maxValueBytes: expected a positive integer ≤ 1048576, got 1048577',
    ])
  })

  it('lists every bad field with its path, at once', () => {
    expect(
      problems(
        resolvePipelineConfig({
          kafka: {
            brokers: [],
            groupId: '',
            inputTopics: ['scans', 'bad topic'],
            resultsTopic: 'results',
            errorsTopic: 42,
            sasl: { mechanism: 'gssapi', username: 'svc' },
            sessionTimeoutMs: 1.5,
          },
          hubspot: { accounts: { default: { token: '', apiVersion: 'v4', requestsPer10s: 0 } } },
          batching: { maxBatchSize: -1, maxWaitMs: '1000' },
          metrics: { port: 70_000 },
          log: { level: 'verbose' },
          onConfigFault: 'ignore',
        }),
      ),
    ).toEqual([
      'kafka.brokers: expected a non-empty array of host:port strings, got []',
      'kafka.groupId: expected a non-empty string, got ""',
      'kafka.inputTopics.1: expected a Kafka topic name (1-249 characters of a-z A-Z 0-9 . _ -), got "bad topic"',
      'kafka.errorsTopic: expected a Kafka topic name (1-249 characters of a-z A-Z 0-9 . _ -), got 42',
      'kafka.sasl.mechanism: expected one of "plain", "scram-sha-256", "scram-sha-512", got a string of 6 characters',
      'kafka.sasl.password: missing, expected a non-empty string',
      'kafka.sessionTimeoutMs: expected a positive integer, got 1.5',
      'hubspot.accounts.default.token: expected a token of visible ASCII characters (no spaces, CR, LF or other control characters), got a string of 0 characters',
      'hubspot.accounts.default.apiVersion: expected one of "v3", "2026-03", "2026-09", got a string of 2 characters',
      'hubspot.accounts.default.requestsPer10s: expected a positive integer, got 0',
      'batching.maxBatchSize: expected a positive integer, got -1',
      'batching.maxWaitMs: expected an integer ≥ 0, got "1000"',
      'onConfigFault: expected one of "stop", "deadLetter", got "ignore"',
      'metrics.port: expected a port number from 0 to 65535, got 70000',
      'log.level: expected one of "debug", "info", "warn", "error", got "verbose"',
    ])
  })

  it('names missing sections and required keys', () => {
    expect(problems(resolvePipelineConfig({}))).toEqual([
      'kafka: missing, expected an object',
      'hubspot: missing, expected an object',
    ])
    expect(problems(resolvePipelineConfig({ kafka: {}, hubspot: { accounts: {} } }))).toEqual([
      'kafka.brokers: missing, expected a non-empty array of host:port strings',
      'kafka.groupId: missing, expected a non-empty string',
      'kafka.inputTopics: missing, expected a non-empty array of topic names',
      'kafka.resultsTopic: missing, expected a Kafka topic name (1-249 characters of a-z A-Z 0-9 . _ -)',
      'kafka.errorsTopic: missing, expected a Kafka topic name (1-249 characters of a-z A-Z 0-9 . _ -)',
    ])
    expect(problems(resolvePipelineConfig([]))).toEqual(['(config): expected a JSON object, got []'])
  })

  it('rejects unknown keys, suggesting the key that was probably meant', () => {
    expect(
      problems(
        resolvePipelineConfig({
          ...minimal(),
          batching: { maxBatchSzie: 10 },
          kafak: {},
          hubspot: { accounts: { default: { token: TOKEN, tokne: TOKEN } } },
        }),
      ),
    ).toEqual([
      'hubspot.accounts.default.tokne: unknown key (did you mean "token"?)',
      'batching.maxBatchSzie: unknown key (did you mean "maxBatchSize"?)',
      'kafak: unknown key (did you mean "kafka"?)',
    ])
    expect(problems(resolvePipelineConfig({ ...minimal(), tracing: true }))).toEqual(['tracing: unknown key'])
  })

  it('checks the rules that span fields', () => {
    expect(
      problems(
        resolvePipelineConfig({
          ...minimal(),
          kafka: { ...minimal().kafka, resultsTopic: 'scans' },
          hubspot: { defaultAccount: 'eu', accounts: { us: { token: TOKEN } } },
          retry: { baseDelayMs: 1000, maxDelayMs: 10 },
        }),
      ),
    ).toEqual([
      'hubspot.defaultAccount: "eu" is not a configured account ("us")',
      'kafka.resultsTopic: "scans" is also an input topic; the pipeline would consume its own output',
      'retry.maxDelayMs: expected ≥ retry.baseDelayMs (1000), got 10',
    ])
    expect(problems(resolvePipelineConfig({ ...minimal(), hubspot: { accounts: {} } }))).toEqual([
      'hubspot.accounts: expected at least one account',
    ])
  })

  it('accepts host:port brokers, IPv6 included, and rejects ones without a valid port', () => {
    const withBrokers = (brokers: unknown) =>
      resolvePipelineConfig({ ...minimal(), kafka: { ...minimal().kafka, brokers } })
    expect(
      config(withBrokers(['kafka-1.internal:9092', '10.0.0.7:9093', '[::1]:9094'])).kafka.brokers,
    ).toHaveLength(3)
    expect(problems(withBrokers(['kafka-1', 'kafka-2:0', 'kafka-3:9092']))).toEqual([
      'kafka.brokers.0: expected a host:port string, got "kafka-1"',
      'kafka.brokers.1: expected a host:port string, got "kafka-2:0"',
    ])
    expect(problems(withBrokers('localhost:9092'))).toEqual([
      'kafka.brokers: expected a non-empty array of host:port strings, got "localhost:9092"',
    ])
  })

  it('never echoes values under hubspot.accounts, kafka.sasl or kafka.ssl', () => {
    const lines = problems(
      resolvePipelineConfig({
        ...minimal(),
        kafka: {
          ...minimal().kafka,
          ssl: 'secret-key-material',
          sasl: { mechanism: TOKEN, username: 'u', password: 7 },
        },
        hubspot: {
          accounts: { default: { token: TOKEN, baseUrl: TOKEN, mode: TOKEN }, second: TOKEN, third: [TOKEN] },
        },
      }),
    )
    expect(lines).toHaveLength(7)
    for (const line of lines) {
      expect(line).not.toContain(TOKEN)
      expect(line).not.toContain('secret-key-material')
    }
    expect(lines).toContain(
      'hubspot.accounts.second: expected an object { token, … } or { oauth, … }, got a string of 44 characters',
    )
    expect(lines).toContain('kafka.sasl.password: expected a non-empty string, got 7')
  })
})

describe('resolvePipelineConfig: credentials', () => {
  const OAUTH = { clientId: 'client-id-1', clientSecret: 'client-secret-2', refreshToken: 'refresh-token-3' }
  const withAccounts = (accounts: Record<string, unknown>, more: Record<string, unknown> = {}) =>
    resolvePipelineConfig({ ...minimal(), hubspot: { accounts, ...more } })

  it('holds every secret as a Secret: inspect, JSON and String never show them', () => {
    const resolved = config(
      resolvePipelineConfig({
        ...minimal(),
        kafka: { ...minimal().kafka, sasl: { mechanism: 'plain', username: 'svc', password: 'sasl-pass-4' } },
        hubspot: { accounts: { default: { token: TOKEN }, app: { oauth: OAUTH } } },
      }),
    )
    const secrets = [TOKEN, 'sasl-pass-4', ...Object.values(OAUTH)]
    const printed = [
      inspect(resolved, { depth: 20, showHidden: true }),
      inspect(resolved, { depth: 20, customInspect: false }),
      JSON.stringify(resolved),
      `${resolved.hubspot.accounts['default']?.token}`,
      String(resolved.kafka.sasl?.password),
    ].join('\n')
    for (const value of secrets) expect(printed).not.toContain(value)
    expect(resolved.hubspot.accounts['default']?.token?.reveal()).toBe(TOKEN)
    expect(resolved.hubspot.accounts['app']?.oauth?.refreshToken.reveal()).toBe('refresh-token-3')
    expect(resolved.kafka.sasl?.password.reveal()).toBe('sasl-pass-4')
  })

  it('takes an OAuth app instead of a token, and wants exactly one of them', () => {
    expect(config(withAccounts({ default: { oauth: OAUTH } })).hubspot.accounts['default']).toMatchObject({
      token: undefined,
      oauth: { clientId: secret('client-id-1'), clientSecret: secret('client-secret-2') },
    })
    expect(problems(withAccounts({ default: { token: TOKEN, oauth: OAUTH }, other: {} }))).toEqual([
      'hubspot.accounts.default: expected either token or oauth, not both',
      'hubspot.accounts.other.token: missing, expected a token (or oauth: { clientId, clientSecret, refreshToken })',
    ])
    expect(problems(withAccounts({ default: { oauth: { clientId: 'x', clientSecret: '' } } }))).toEqual([
      'hubspot.accounts.default.oauth.clientSecret: expected a non-empty string, got a string of 0 characters',
      'hubspot.accounts.default.oauth.refreshToken: missing, expected a non-empty string',
    ])
  })

  it('refuses a token that cannot be sent in a header (CR, LF, spaces, controls), without echoing it', () => {
    for (const bad of [
      `${TOKEN}\r\n`,
      `${TOKEN}\nX-Injected: 1`,
      `pat ${TOKEN}`,
      `${TOKEN}\u0000`,
      `${TOKEN}é`,
    ]) {
      const lines = problems(withAccounts({ default: { token: bad } }))
      expect(lines).toEqual([
        `hubspot.accounts.default.token: expected a token of visible ASCII characters (no spaces, CR, LF or other control characters), got a string of ${bad.length} characters`,
      ])
    }
  })

  it('wants baseUrl https (http only on loopback) and without credentials, never echoing it', () => {
    const base = (baseUrl: string) => withAccounts({ default: { token: TOKEN, baseUrl } })
    for (const ok of [
      'https://api.hubapi.com',
      'http://127.0.0.1:8080/p',
      'http://localhost:1',
      'http://[::1]:2',
    ])
      expect(config(base(ok)).hubspot.accounts['default']?.baseUrl).toBe(ok)
    const expected =
      'hubspot.accounts.default.baseUrl: expected an https: URL without credentials (http: only for a loopback host), got a string of'
    for (const bad of [
      'http://api.hubapi.com',
      'https://user:hunter2@api.hubapi.com',
      'ftp://x',
      'not a url',
    ]) {
      const [line] = problems(base(bad))
      expect(line?.startsWith(expected)).toBe(true)
      expect(line).not.toContain('hunter2')
    }
  })

  it('refuses the reserved names __proto__, constructor and prototype as accounts or default', () => {
    const lines = problems(
      resolvePipelineConfig({
        ...minimal(),
        hubspot: JSON.parse(
          `{"defaultAccount":"__proto__","accounts":{"default":{"token":"${TOKEN}"},"__proto__":{"token":"${TOKEN}"},"constructor":{"token":"${TOKEN}"}}}`,
        ),
      }),
    )
    expect(lines).toEqual([
      'hubspot.accounts.__proto__: expected an account name (non-empty, not __proto__, constructor or prototype), got a string of 9 characters',
      'hubspot.accounts.constructor: expected an account name (non-empty, not __proto__, constructor or prototype), got a string of 11 characters',
      'hubspot.defaultAccount: expected an account name (non-empty, not __proto__, constructor or prototype), got "__proto__"',
    ])
    expect(({} as Record<string, unknown>)['token']).toBeUndefined()
    const accounts = config(withAccounts({ default: { token: TOKEN } })).hubspot.accounts
    expect(accounts['constructor']).toBeUndefined()
    expect(accounts['toString']).toBeUndefined()
  })
})

describe('kafkaConfigOf', () => {
  it('hands kafkajs the SASL password itself, revealed from its Secret', () => {
    const resolved = config(
      resolvePipelineConfig({
        ...minimal(),
        kafka: { ...minimal().kafka, sasl: { mechanism: 'plain', username: 'svc', password: 'sasl-pass' } },
      }),
    )
    expect(kafkaConfigOf(resolved).sasl).toEqual({
      mechanism: 'plain',
      username: 'svc',
      password: 'sasl-pass',
    })
  })
})

describe('resolvePipelineConfig: per-account routing settings', () => {
  const accounts = { default: { token: TOKEN }, eu: { token: 'pat-eu', metricsLabel: 'portal-eu' } }

  it('maps input topics to configured accounts, and labels each account for metrics', () => {
    const resolved = config(
      resolvePipelineConfig({ ...minimal(), hubspot: { accounts, topicAccounts: { checkins: 'eu' } } }),
    )
    expect(resolved.hubspot.topicAccounts).toEqual({ checkins: 'eu' })
    expect(resolved.hubspot.topicAccounts['scans']).toBeUndefined()
    expect(resolved.hubspot.topicAccounts['constructor']).toBeUndefined()
    expect(resolved.hubspot.accounts['eu']?.metricsLabel).toBe('portal-eu')
    expect(resolved.hubspot.accounts['default']?.metricsLabel).toBe('default')
  })

  it('refuses unknown accounts, topics that are not inputs, and labels used twice', () => {
    expect(
      problems(
        resolvePipelineConfig({
          ...minimal(),
          hubspot: {
            accounts: { ...accounts, us: { token: 'pat-us', metricsLabel: 'portal-eu' } },
            topicAccounts: { checkins: 'apac', other: 'eu' },
          },
        }),
      ),
    ).toEqual([
      'hubspot.topicAccounts.checkins: "apac" is not a configured account ("default", "eu", "us")',
      'hubspot.topicAccounts.other: "other" is not one of kafka.inputTopics',
      'hubspot.accounts.us.metricsLabel: "portal-eu" is also the label of account "eu"',
    ])
    expect(
      problems(
        resolvePipelineConfig({
          ...minimal(),
          hubspot: { accounts, topicAccounts: { 'bad topic': 'default', scans: 1 } },
        }),
      ),
    ).toEqual([
      'hubspot.topicAccounts.bad topic: expected a Kafka topic name (1-249 characters of a-z A-Z 0-9 . _ -), got "bad topic"',
      'hubspot.topicAccounts.scans: expected an account name (non-empty, not __proto__, constructor or prototype), got 1',
    ])
  })
})
