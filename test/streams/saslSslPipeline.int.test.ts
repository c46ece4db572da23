import { inspect } from 'node:util'
import { isLeft } from 'fp-ts/lib/Either.js'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { resolvePipelineConfig } from '../../src/config/pipelineConfig.js'
import { isAttendanceStreamError } from '../../src/errors.js'
import { type AttendancePipeline, attendancePipeline } from '../../src/streams/attendancePipeline.js'
import { generateAttendance } from '../../src/testing/attendanceGenerator.js'
import { createTopicsWithLeaders } from '../../src/testing/kafka/createTopicsWithLeaders.js'
import { type LocalKafkaBroker, startLocalKafkaBroker } from '../../src/testing/kafka/index.js'
import { auditOutcomes, type OutcomeAudit } from '../../src/testing/outcomeAudit.js'
import { type HubSpotSimulator, startHubSpotSimulator } from '../../src/testing/simulator/index.js'
import { uniqueName } from '../support/kafka.js'
import { type MemberProcess, startMember, writeConfigFile } from '../support/memberProcess.js'
import { waitUntil } from '../support/pipelineHarness.js'

// Recognisable passwords: none may appear in anything the member prints or throws.
const SCRAM_USER = {
  mechanism: 'scram-sha-512',
  username: 'attendance-scram',
  password: 'scram-Pw-51a9e3',
} as const
const PLAIN_USER = { mechanism: 'plain', username: 'attendance-plain', password: 'plain-Pw-7c2e0f' } as const
const WRONG_PASSWORD = 'wrong-Pw-0d4b8a'
const PASSWORDS = [SCRAM_USER.password, PLAIN_USER.password, WRONG_PASSWORD]
const RECORDS = 600

/** A run of `attendance-stream run` that fails by itself must end within this (kafkajs alone would retry). */
const FAILS_WITHIN_MS = 60_000

/** The member's stderr as JSON log lines; throws on a line that is not JSON. */
const logLines = (output: string): Record<string, unknown>[] =>
  output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)

const expectNoPassword = (text: string): void => {
  for (const password of PASSWORDS) expect(text).not.toContain(password)
}

// A second broker for this file alone: SASL_SSL for the pipeline, plaintext for the test's own setup and audit.
describe('the pipeline through a SASL_SSL listener (embedded broker, SCRAM-SHA-512 and PLAIN)', () => {
  let broker: LocalKafkaBroker
  let sim: HubSpotSimulator | undefined
  let pipeline: AttendancePipeline | undefined
  const members: MemberProcess[] = []

  beforeAll(async () => {
    broker = await startLocalKafkaBroker({ saslSsl: { users: [SCRAM_USER, PLAIN_USER] } })
    console.log(
      `secured broker: ready in ${broker.readyMs} ms, SASL_SSL at ${broker.saslSsl?.brokers.join(',')}`,
    )
  })
  afterAll(async () => {
    await broker?.stop()
  })
  afterEach(async () => {
    for (const member of members.splice(0)) {
      if (member.child.exitCode === null && member.child.signalCode === null) member.child.kill('SIGKILL')
      await member.exited
    }
    await pipeline?.stop({ timeoutMs: 5_000 })
    pipeline = undefined
    await sim?.stop()
    sim = undefined
  })

  const secured = () => {
    if (broker.saslSsl === undefined) throw new Error('the broker has no SASL_SSL listener')
    return broker.saslSsl
  }

  /** Topics on the plaintext listener, with the inputs already in them. */
  const setUp = async () => {
    const topics = {
      input: uniqueName('scans'),
      results: uniqueName('results'),
      errors: uniqueName('errors'),
      groupId: uniqueName('group'),
    }
    const records = [...generateAttendance(RECORDS, { seed: 16, badShare: 0.05 })]
    const kafka = new Kafka({
      clientId: uniqueName('setup'),
      brokers: [...broker.brokers],
      logLevel: logLevel.NOTHING,
    })
    const admin = kafka.admin()
    await admin.connect()
    try {
      await createTopicsWithLeaders(admin, [
        { topic: topics.input, numPartitions: 3 },
        { topic: topics.results, numPartitions: 1 },
        { topic: topics.errors, numPartitions: 1 },
      ])
    } finally {
      await admin.disconnect()
    }
    // Idempotent: a send kafkajs retries (a leader not known yet) must not write some inputs twice.
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    try {
      await producer.send({
        topic: topics.input,
        messages: records.map(({ key, value }) => ({ key, value })),
      })
    } finally {
      await producer.disconnect()
    }
    sim = await startHubSpotSimulator({ events: 'auto', contacts: 'auto' })
    return { topics, records, sim }
  }

  /** A config file's content: the SASL_SSL listener with these TLS options and this login. */
  const configInput = (
    setup: Awaited<ReturnType<typeof setUp>>,
    ssl: unknown,
    sasl: { readonly mechanism: string; readonly username: string; readonly password: string },
  ) => ({
    kafka: {
      brokers: [...secured().brokers],
      groupId: setup.topics.groupId,
      inputTopics: [setup.topics.input],
      resultsTopic: setup.topics.results,
      errorsTopic: setup.topics.errors,
      sessionTimeoutMs: 10_000,
      ssl,
      sasl,
    },
    hubspot: {
      accounts: { default: { token: setup.sim.token, baseUrl: setup.sim.url, requestsPer10s: 1_000 } },
    },
    batching: { maxWaitMs: 200 },
    limits: { commitIntervalMs: 300 },
    log: { level: 'info' },
  })

  /** Reads the outcome topics (over plaintext) until every input has an outcome. */
  const auditUntilComplete = async (
    topics: Awaited<ReturnType<typeof setUp>>['topics'],
  ): Promise<OutcomeAudit> => {
    const audit = () =>
      auditOutcomes({
        brokers: [...broker.brokers],
        inputTopics: [topics.input],
        resultsTopic: topics.results,
        errorsTopic: topics.errors,
      })
    let last = await audit()
    const deadline = Date.now() + 120_000
    while (last.missing.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      last = await audit()
    }
    return last
  }

  const expectEveryInputHasOneOutcome = (audit: OutcomeAudit, records: readonly { expected?: unknown }[]) => {
    expect(audit.missing).toEqual([])
    expect([...audit.duplicated]).toEqual([])
    expect(audit.unexpected).toEqual([])
    expect(audit.results + audit.errors).toBe(records.length)
    expect(audit.errors).toBe(records.filter((r) => r.expected === undefined).length)
  }

  const resolved = (input: unknown) => {
    const config = resolvePipelineConfig(input)
    if (isLeft(config)) throw new Error(`bad test config: ${config.left.join('; ')}`)
    return config.right
  }

  it('attendancePipeline logs in with SCRAM-SHA-512, trusting the CA from kafka.ssl.caFile: every input gets its outcome', async () => {
    const setup = await setUp()
    pipeline = attendancePipeline(resolved(configInput(setup, { caFile: secured().caFile }, SCRAM_USER)))
    await waitUntil('every input has an outcome', () => {
      const m = pipeline?.metrics()
      return m !== undefined && m.results + m.errors >= setup.records.length
    })
    await pipeline.stop()
    await pipeline.done
    expectEveryInputHasOneOutcome(await auditUntilComplete(setup.topics), setup.records)
    expect(setup.sim.counters().inputsAccepted).toBeGreaterThan(0)
  })

  it('attendance-stream run logs in with PLAIN, trusting the CA given as PEM in kafka.ssl.ca: every input gets its outcome, no password printed', async () => {
    const setup = await setUp()
    const member = startMember(writeConfigFile(configInput(setup, { ca: secured().caPem }, PLAIN_USER)))
    members.push(member)
    const audit = await auditUntilComplete(setup.topics)
    member.child.kill('SIGTERM')
    expect(await member.exited).toBe(0)
    expectEveryInputHasOneOutcome(audit, setup.records)
    expect(logLines(member.output()).filter((line) => line['level'] === 'error')).toEqual([])
    expectNoPassword(member.output())
  })

  /** Runs the CLI with this config until it exits by itself; its exit code and its error lines. */
  const runUntilItFails = async (input: unknown) => {
    const member = startMember(writeConfigFile(input))
    members.push(member)
    const code = await Promise.race([
      member.exited,
      new Promise<string>((resolve) => setTimeout(() => resolve('still running'), FAILS_WITHIN_MS)),
    ])
    expectNoPassword(member.output())
    return { code, errors: logLines(member.output()).filter((line) => line['level'] === 'error') }
  }

  it('attendance-stream run with a wrong SCRAM password exits 1 with one line: authentication failed', async () => {
    const setup = await setUp()
    const run = await runUntilItFails(
      configInput(setup, { caFile: secured().caFile }, { ...SCRAM_USER, password: WRONG_PASSWORD }),
    )
    expect(run.code).toBe(1)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]?.['code']).toBe('KAFKA_AUTHENTICATION_FAILED')
    expect(run.errors[0]?.['msg']).toMatch(
      /^Kafka authentication failed: .*invalid credentials.*check kafka\.sasl/,
    )
  })

  it('attendance-stream run without the CA exits 1 with one line: certificate not trusted', async () => {
    const setup = await setUp()
    const run = await runUntilItFails(configInput(setup, true, PLAIN_USER))
    expect(run.code).toBe(1)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]?.['code']).toBe('KAFKA_CERTIFICATE_UNTRUSTED')
    expect(run.errors[0]?.['msg']).toBe(
      `Kafka broker ${secured().brokers[0]}: TLS certificate not trusted (SELF_SIGNED_CERT_IN_CHAIN: ` +
        'self-signed certificate in certificate chain); set kafka.ssl.caFile (or ca) to the CA that signed it',
    )
  })

  it.each([
    ['a wrong PLAIN password', 'KAFKA_AUTHENTICATION_FAILED', 'with the CA', WRONG_PASSWORD],
    ['no CA', 'KAFKA_CERTIFICATE_UNTRUSTED', 'without the CA', PLAIN_USER.password],
  ] as const)('attendancePipeline with %s fails once, with %s, naming no password', async (_, code, ca, password) => {
    const setup = await setUp()
    const tls = ca === 'with the CA' ? { caFile: secured().caFile } : true
    const logged: string[] = []
    const remember = (msg: string, fields?: unknown) => logged.push(`${msg} ${inspect(fields, { depth: 8 })}`)
    pipeline = attendancePipeline(resolved(configInput(setup, tls, { ...PLAIN_USER, password })), {
      logger: { info: remember, warn: remember, error: remember },
    })
    const failure = await pipeline.done.then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(isAttendanceStreamError(failure) ? failure.code : failure).toBe(code)
    expect(isAttendanceStreamError(failure) && failure.retryable).toBe(false)
    expectNoPassword(`${inspect(failure, { depth: 8 })} ${JSON.stringify(failure)} ${String(failure)}`)
    expect(setup.sim.counters().inputsAccepted ?? 0).toBe(0)
    expectNoPassword(logged.join('\n'))
    // One attempt, not kafkajs's retries: it logs each retry with its count.
    expect(logged.filter((line) => /retryCount: [1-9]/.test(line))).toEqual([])
  })
})
