import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { isLeft } from 'fp-ts/lib/Either.js'
import { Kafka } from 'kafkajs'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { createJsonLogger } from '../../src/cli/jsonLogger.js'
import { runMember } from '../../src/cli/runMember.js'
import { configSecrets } from '../../src/config/configSecrets.js'
import { loadConfig } from '../../src/config/loadConfig.js'
import type { PipelineConfig } from '../../src/config/pipelineConfig.js'
import { createHubSpotClient } from '../../src/sinks/hubspot/client.js'
import {
  type AttendancePipeline,
  attendancePipeline,
  kafkaConfigOf,
} from '../../src/streams/attendancePipeline.js'
import { type HubSpotSimulator, startHubSpotSimulator } from '../../src/testing/simulator/index.js'
import { testBrokers, testKafka } from '../support/kafka.js'
import { auditTopicsUntilComplete, waitUntil } from '../support/pipelineHarness.js'
import {
  type AccountTopics,
  accountEvent,
  createAccountTopics,
  produceScans,
  type ScanSpec,
  scanValue,
} from './accountTraffic.js'

/**
 * Every secret of a configuration searched for in everything the service prints or writes, over runs that go
 * through the failure paths (issue 15): a static token in the file, a token in `HUBSPOT_TOKEN`, an OAuth client
 * id, secret and refresh token, a SASL password; a 401 dead-lettered and a 401 that stops the member, invalid
 * configurations, bad input records, a stop. Searched: the JSON log lines, outcome records, metrics text,
 * `util.inspect` / `JSON.stringify` of the loaded config, a client and the pipeline handle, and the message,
 * stack and inspection of every error caught. The access and refresh tokens the OAuth endpoint issued during
 * the run are searched for too. Expected: no occurrence, in any letter case.
 */
const SECRETS = {
  fileToken: 'fileTokenS3cretAlpha',
  envToken: 'envTokenS3cretBravo',
  clientId: 'oauthClientIdS3cretCharlie',
  clientSecret: 'oauthClientS3cretDelta',
  refreshToken: 'oauthRefreshS3cretEcho',
  saslPassword: 'saslPassw0rdS3cretFoxtrot',
} as const

/** Where each found secret is, as `what: secret`, for an assertion that names the leak. */
const leaks = (haystacks: ReadonlyMap<string, string>, secrets: readonly string[]): string[] =>
  [...haystacks].flatMap(([what, text]) =>
    secrets.filter((s) => text.toLowerCase().includes(s.toLowerCase())).map((s) => `${what}: ${s}`),
  )

const describeError = (error: unknown): string =>
  error instanceof Error
    ? `${error.message}\n${error.stack}\n${inspect(error, { depth: 10, showHidden: true })}\n${JSON.stringify(error)}`
    : inspect(error, { depth: 10 })

describe('secrets in logs, records, metrics, inspection and errors', () => {
  const sims: HubSpotSimulator[] = []
  const pipelines: AttendancePipeline[] = []

  afterEach(async () => {
    for (const p of pipelines.splice(0)) await p.stop({ timeoutMs: 5_000 })
    await Promise.all(sims.splice(0).map((s) => s.stop()))
  })

  it('never shows any of them, on any failure path', async () => {
    const found = new Map<string, string>()
    const logLines: string[] = []
    const logStream = { write: (line: string) => logLines.push(line) }

    const sim = await startHubSpotSimulator({
      events: 'auto',
      contacts: 'auto',
      tokens: [SECRETS.fileToken, SECRETS.envToken],
      oauth: {
        apps: [
          {
            clientId: SECRETS.clientId,
            clientSecret: SECRETS.clientSecret,
            refreshToken: SECRETS.refreshToken,
          },
        ],
        accessTokenTtlMs: 2_000,
        reportedExpiresInSeconds: 3_600,
        rotateRefreshTokens: true,
      },
    })
    sims.push(sim)
    const topics = await createAccountTopics(1, 2)
    const [topic] = topics.inputs as [string]
    const dir = mkdtempSync(join(tmpdir(), 'secrets-'))
    const fileOf = (name: string, config: unknown): string => {
      const path = join(dir, name)
      writeFileSync(path, JSON.stringify(config))
      return path
    }
    const fileConfig = (onConfigFault: string, groupId: string) => ({
      kafka: {
        brokers: testBrokers(),
        groupId,
        inputTopics: [topic],
        resultsTopic: topics.results,
        errorsTopic: topics.errors,
        sessionTimeoutMs: 10_000,
        sasl: { mechanism: 'plain', username: 'attendance', password: SECRETS.saslPassword },
      },
      hubspot: {
        // The default account's token comes from HUBSPOT_TOKEN.
        accounts: {
          default: { baseUrl: sim.url },
          file: { token: SECRETS.fileToken, baseUrl: sim.url },
          oauth: {
            oauth: {
              clientId: SECRETS.clientId,
              clientSecret: SECRETS.clientSecret,
              refreshToken: SECRETS.refreshToken,
            },
            baseUrl: sim.url,
          },
        },
      },
      batching: { maxWaitMs: 100 },
      retry: { baseDelayMs: 50, maxDelayMs: 500 },
      limits: { commitIntervalMs: 300 },
      onConfigFault,
    })
    const env = { HUBSPOT_TOKEN: SECRETS.envToken }
    const load = (onConfigFault: string, groupId: string): PipelineConfig => {
      const loaded = loadConfig({ file: fileOf(`${groupId}.json`, fileConfig(onConfigFault, groupId)), env })
      if (isLeft(loaded)) throw new Error(`bad test config: ${loaded.left.join('; ')}`)
      return loaded.right
    }

    // 1. Invalid configurations that hold secrets, through loadConfig and through the CLI's `run`.
    const invalid: [string, Record<string, unknown>, NodeJS.ProcessEnv][] = [
      ['token with CR LF', fileConfig('stop', 'g'), { HUBSPOT_TOKEN: `${SECRETS.envToken}\r\nX-Evil: 1` }],
      ['token pasted into LOG_LEVEL', fileConfig('stop', 'g'), { ...env, LOG_LEVEL: SECRETS.envToken }],
      [
        'credentials in baseUrl',
        fileConfig('stop', 'g'),
        { ...env, HUBSPOT_BASE_URL: `https://user:${SECRETS.saslPassword}@api.example.com` },
      ],
      [
        'secrets of the wrong type and place',
        {
          ...fileConfig('stop', 'g'),
          hubspot: {
            accounts: {
              default: {
                token: [SECRETS.fileToken],
                oauth: { clientId: SECRETS.clientId, clientSecret: SECRETS.clientSecret },
              },
              // A secret pasted as an account name, where problems name the path.
              [SECRETS.clientSecret]: { token: SECRETS.refreshToken, baseUrl: 'ftp://x' },
            },
          },
        },
        env,
      ],
    ]
    for (const [what, config, variables] of invalid) {
      const problems = loadConfig({ file: fileOf('bad.json', config), env: variables })
      expect(isLeft(problems), what).toBe(true)
      found.set(`loadConfig problems (${what})`, inspect(problems, { depth: 10 }))
      const stderr: string[] = []
      const exit = await runMember({
        configFile: fileOf('bad.json', config),
        env: variables,
        stderr: { write: (line) => stderr.push(line) },
      })
      expect(exit, what).toBe(2)
      found.set(`run stderr (${what})`, stderr.join(''))
    }

    // 2. A run: good records for each account, bad input records, then the file account's token revoked
    //    (dead-lettered), OAuth tokens expiring every 2 s, then a stop.
    const config = load('deadLetter', topics.groupId)
    const log = createJsonLogger({ level: 'debug', stream: logStream, secrets: configSecrets(config) })
    const registry = new Registry()
    // The broker of the tests has no SASL: the member gets a client without it; the config keeps its password.
    const pipeline = attendancePipeline(config, { registry, logger: log, kafka: testKafka() })
    pipelines.push(pipeline)
    let n = 0
    const scans = (account: string | undefined, count: number): ScanSpec[] =>
      Array.from({ length: count }, () => {
        n++
        return {
          key: `scan-${n}`,
          eventId: accountEvent(account ?? 'default', 0),
          vid: 1_000 + n,
          at: Date.now(),
          ...(account === undefined ? {} : { account }),
        }
      })
    await produceScans(topic, [...scans(undefined, 30), ...scans('file', 30), ...scans('oauth', 30)])
    const producer = testKafka().producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    await producer.send({
      topic,
      messages: [
        { key: 'bad-json', value: '{"type":"badge.scanned",' },
        {
          key: 'bad-account',
          value: scanValue({ key: 'bad-account', eventId: 'x', vid: 1, at: Date.now(), account: 'nope' }),
        },
        { key: 'tombstone', value: null },
      ],
    })
    await producer.disconnect()
    await waitUntil('the first records have outcomes', () => pipeline.metrics().results >= 90)
    sim.revokeToken(SECRETS.fileToken)
    await new Promise((resolve) => setTimeout(resolve, 2_500))
    await produceScans(topic, [...scans(undefined, 20), ...scans('file', 20), ...scans('oauth', 20)])
    await waitUntil('every record has an outcome', () => {
      const m = pipeline.metrics()
      return m.results + m.errors >= n + 3
    })
    found.set('metrics text', await registry.metrics())
    found.set('pipeline metrics()', JSON.stringify(pipeline.metrics()))
    found.set('inspect(pipeline)', inspect(pipeline, { depth: Infinity, showHidden: true }))
    found.set('JSON.stringify(pipeline)', JSON.stringify(pipeline))
    await pipeline.stop()
    await pipeline.done
    const audit = await auditTopicsUntilComplete(topics)
    expect(audit.missing).toEqual([])
    // The revoked account's later records were dead-lettered, the bad inputs rejected at decode.
    const errorCodes = new Set(audit.entries.filter((e) => e.kind === 'error').map((e) => e.record['code']))
    expect(errorCodes).toContain('HUBSPOT_UNAUTHENTICATED')
    expect(errorCodes).toContain('UNKNOWN_ACCOUNT')
    found.set('outcome records', JSON.stringify(audit.entries))

    // 3. The same configuration with onConfigFault: stop meets the revoked token and stops the member.
    const stopTopics: AccountTopics = { ...topics, groupId: `${topics.groupId}-stop` }
    const stopConfig = load('stop', stopTopics.groupId)
    const stopping = attendancePipeline(stopConfig, {
      logger: createJsonLogger({ level: 'debug', stream: logStream, secrets: configSecrets(stopConfig) }),
      kafka: testKafka(),
    })
    pipelines.push(stopping)
    const stopError = await stopping.done.then(
      () => new Error('the member did not stop'),
      (error: unknown) => error,
    )
    expect(stopError).toMatchObject({ code: 'HUBSPOT_UNAUTHENTICATED' })
    found.set('stop error', describeError(stopError))

    // 4. The SASL password used for real: a member that authenticates against a broker without SASL fails.
    const saslFailure = attendancePipeline(load('stop', `${topics.groupId}-sasl`), {
      logger: createJsonLogger({ level: 'debug', stream: logStream, secrets: configSecrets(config) }),
    })
    pipelines.push(saslFailure)
    const saslOutcome = await Promise.race([
      saslFailure.done.then(
        () => 'stopped',
        (error: unknown) => error,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still trying'), 10_000)),
    ])
    found.set('SASL failure', describeError(saslOutcome))
    await saslFailure.stop({ timeoutMs: 2_000 })

    // 5. Inspection of the loaded config, of clients built from it, and of a kafkajs client with the password.
    found.set('inspect(config)', inspect(config, { depth: Infinity, showHidden: true }))
    found.set('JSON.stringify(config)', JSON.stringify(config))
    found.set(
      'String(config)',
      `${Object.values(config.hubspot.accounts).map((a) => `${a.token} ${a.oauth?.clientSecret}`)}`,
    )
    for (const [name, account] of Object.entries(config.hubspot.accounts)) {
      const client = createHubSpotClient({
        token: account.token,
        oauth: account.oauth,
        baseUrl: account.baseUrl,
      })
      // A call that fails: the file token is revoked, the OAuth refresh token was rotated away by the run.
      const result = await client.recordAttendance({
        event: { kind: 'external', externalEventId: 'secrets-expo' },
        subscriberState: 'attend',
        contactKind: 'vid',
        inputs: [{ vid: 1, interactionDateTime: Date.now(), properties: {} }],
      })
      found.set(
        `client ${name}`,
        `${inspect(client, { depth: Infinity, showHidden: true })} ${JSON.stringify(client)}`,
      )
      found.set(`client ${name} result`, `${inspect(result, { depth: Infinity })} ${JSON.stringify(result)}`)
      await client.close()
    }
    found.set('inspect(kafka client)', inspect(new Kafka(kafkaConfigOf(config)), { depth: 6 }))
    found.set('log lines', logLines.join(''))

    // The run did go through the OAuth flow and the 401s this test is about.
    const oauth = sim.oauth()
    expect(oauth.refreshes).toBeGreaterThan(1)
    expect(logLines.length).toBeGreaterThan(0)
    const issued = [...oauth.issuedAccessTokens, ...Object.values(oauth.currentRefreshTokens)]
    console.log(
      `secrets: searched ${Object.keys(SECRETS).length} configured and ${issued.length} issued secrets in ` +
        `${found.size} outputs (${logLines.length} log lines, ${audit.entries.length} outcome records); ` +
        `the SASL member: ${String(saslOutcome instanceof Error ? saslOutcome.name : saslOutcome)}`,
    )
    expect(leaks(found, [...Object.values(SECRETS), ...issued])).toEqual([])
  })
})
