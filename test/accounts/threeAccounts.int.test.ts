import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { type AttendancePipeline, attendancePipeline } from '../../src/streams/attendancePipeline.js'
import { type HubSpotSimulator, startHubSpotSimulator } from '../../src/testing/simulator/index.js'
import { auditTopicsUntilComplete, waitUntil } from '../support/pipelineHarness.js'
import {
  accountEvent,
  accountsPipelineConfig,
  createAccountTopics,
  max,
  metricByAccount,
  produceScans,
  requestsByAccount,
  type ScanSpec,
} from './accountTraffic.js'

/**
 * Three HubSpot accounts (portals) with different limits behind one simulator, one pipeline on a real broker,
 * records choosing their account by their `account` field and by their input topic (issue 15). What must hold:
 * each account stays under its own limit in every rolling 10 s window the simulator saw, its requests carry its
 * token and no other, the per-account metrics count what the simulator counted, and every input has one outcome.
 *
 * Sizes: batches of at most 5 inputs, so each account needs two to three windows of requests (~20 s in all).
 */
const ACCOUNTS = {
  // HubSpot's limit per rolling 10 s (contract §4), and the budget the pipeline is given: the docs advise
  // headroom below the limit, since the budget counts when requests leave and HubSpot when they arrive.
  a: { token: 'pat-sim-account-a', limit: 100, budget: 90, requests: 200 },
  b: { token: 'pat-sim-account-b', limit: 190, budget: 180, requests: 400 },
  c: { token: 'pat-sim-account-c', limit: 110, budget: 100, requests: 220 },
} as const
type AccountName = keyof typeof ACCOUNTS
const BATCH = 5

describe('three HubSpot accounts with different limits in one pipeline', () => {
  let sim: HubSpotSimulator | undefined
  let pipeline: AttendancePipeline | undefined

  afterEach(async () => {
    await pipeline?.stop({ timeoutMs: 5_000 })
    await sim?.stop()
    pipeline = undefined
    sim = undefined
  })

  it('keeps every account within its own limit in every window, with its own token, and counts per account', async () => {
    const topics = await createAccountTopics(2, 3)
    const [plainTopic, cTopic] = topics.inputs as [string, string]
    // Topic 0 has no account (records default to a), topic 1 belongs to c; each record's field comes first.
    const scans = new Map<string, ScanSpec[]>([
      [plainTopic, []],
      [cTopic, []],
    ])
    const expectedInputs = new Map<AccountName, number>()
    let n = 0
    const add = (topic: string, account: AccountName, field: string | undefined) => {
      n++
      scans.get(topic)?.push({
        key: `scan-${n}`,
        eventId: accountEvent(account, n % 2),
        vid: 10_000 + n,
        at: Date.now() - 3_600_000 + n,
        ...(field === undefined ? {} : { account: field }),
      })
      expectedInputs.set(account, (expectedInputs.get(account) ?? 0) + 1)
    }
    for (let i = 0; i < ACCOUNTS.a.requests * BATCH; i++) {
      // a: by default on topic 0, and by its field on c's topic.
      if (i % 2 === 0) add(plainTopic, 'a', undefined)
      else add(cTopic, 'a', 'a')
    }
    for (let i = 0; i < ACCOUNTS.b.requests * BATCH; i++) add(i % 2 === 0 ? plainTopic : cTopic, 'b', 'b')
    for (let i = 0; i < ACCOUNTS.c.requests * BATCH; i++) {
      // c: by its topic, and by its field on topic 0.
      if (i % 2 === 0) add(cTopic, 'c', undefined)
      else add(plainTopic, 'c', 'c')
    }
    const unknown: ScanSpec[] = Array.from({ length: 20 }, (_, i) => ({
      key: `unknown-${i}`,
      eventId: 'nobody-expo-0',
      vid: 1,
      at: Date.now() - 1_000,
      account: 'latam',
    }))
    await produceScans(plainTopic, [...(scans.get(plainTopic) ?? []), ...unknown])
    await produceScans(cTopic, scans.get(cTopic) ?? [])

    sim = await startHubSpotSimulator({
      events: 'auto',
      contacts: 'auto',
      tokens: Object.values(ACCOUNTS).map(({ token, limit }) => ({ token, max: limit })),
    })
    const url = sim.url
    const config = accountsPipelineConfig(
      topics,
      {
        defaultAccount: 'a',
        accounts: Object.fromEntries(
          Object.entries(ACCOUNTS).map(([name, { token, budget }]) => [
            name,
            { token, baseUrl: url, requestsPer10s: budget },
          ]),
        ),
        topicAccounts: { [cTopic]: 'c' },
      },
      { batching: { maxWaitMs: 200, maxBatchSize: BATCH } },
    )
    const registry = new Registry()
    pipeline = attendancePipeline(config, { registry })
    const total = n + unknown.length
    await waitUntil(
      'every record has an outcome',
      () => {
        const m = pipeline?.metrics()
        return m !== undefined && m.results + m.errors >= total
      },
      150_000,
    )
    const metricsText = await registry.metrics()
    await pipeline.stop()
    await pipeline.done

    const audit = await auditTopicsUntilComplete(topics)
    expect(audit.missing).toEqual([])
    expect([...audit.duplicated]).toEqual([])
    expect(audit.results).toBe(n)
    expect(audit.errors).toBe(unknown.length)
    expect(
      audit.entries.filter((e) => e.kind === 'error').map((e) => [e.record['stage'], e.record['code']]),
    ).toEqual(unknown.map(() => ['decode', 'UNKNOWN_ACCOUNT']))
    expect(sim.handlerCrashes()).toEqual([])

    const log = sim.requestLog()
    const byAccount = requestsByAccount(log)
    expect([...byAccount.keys()].sort()).toEqual(['a', 'b', 'c'])
    const requestMetrics = metricByAccount(metricsText, 'attendance_hubspot_requests')
    for (const [name, account] of Object.entries(ACCOUNTS) as [
      AccountName,
      (typeof ACCOUNTS)[AccountName],
    ][]) {
      const seen = byAccount.get(name)
      if (seen === undefined) throw new Error(`no requests for account ${name}`)
      console.log(
        `account ${name} (limit ${account.limit}/10 s, budget ${account.budget}): ${seen.requests} requests, ` +
          `max ${max(seen.windows)} in a rolling 10 s window, ${(seen.inputs / seen.requests).toFixed(2)} inputs per request`,
      )
      // Every request of the account's events carried its token, and only those did.
      expect([...seen.tokens]).toEqual([account.token])
      // Every window, not only the busiest: windowCounts has one entry per request.
      expect(seen.windows.filter((count) => count > account.limit)).toEqual([])
      // The run needed more than one window per account, so the limit was actually in play.
      expect(seen.requests).toBeGreaterThan(account.limit)
      // Each record of the account was sent once, in that account's requests.
      expect(seen.inputs).toBe(expectedInputs.get(name))
      // The pipeline's per-account count of requests is what the simulator saw of that account.
      expect(requestMetrics.get(name)).toBe(seen.requests)
    }
    expect(log.filter((e) => e.status !== '200')).toEqual([])
  })
})
