import { afterEach, describe, expect, it } from 'vitest'
import type { PipelineConfig } from '../../src/config/pipelineConfig.js'
import { AttendanceStreamError } from '../../src/errors.js'
import { type AttendancePipeline, attendancePipeline } from '../../src/streams/attendancePipeline.js'
import type { OutcomeEntry } from '../../src/testing/outcomeAudit.js'
import { type HubSpotSimulator, startHubSpotSimulator } from '../../src/testing/simulator/index.js'
import { auditTopicsUntilComplete, waitUntil } from '../support/pipelineHarness.js'
import {
  type AccountTopics,
  accountEvent,
  accountOfEvent,
  accountsPipelineConfig,
  createAccountTopics,
  produceSteadily,
} from './accountTraffic.js'

/**
 * One account's token revoked in the middle of a run (HubSpot answers 401 `INVALID_AUTHENTICATION` for it), as
 * docs/sink.md "Configuration faults" promises: with `onConfigFault: 'deadLetter'` only that account's records
 * become error records (`retryable: true`) and the other accounts' records keep flowing; with `'stop'` the
 * member stops without committing the revoked account's records, and a member started after the token is
 * fixed gives every input its outcome.
 */
const TOKENS = { a: 'pat-sim-revoke-a', b: 'pat-sim-revoke-b', c: 'pat-sim-revoke-c' } as const
const REVOKED = 'b'

const accountOf = (entry: OutcomeEntry): string | undefined =>
  accountOfEvent(entry.record['eventId'] as string | undefined) ??
  accountOfEvent(JSON.parse((entry.record['payload'] as { data: string }).data).eventId)

const threeAccounts = (topics: AccountTopics, sim: HubSpotSimulator, onConfigFault: string): PipelineConfig =>
  accountsPipelineConfig(
    topics,
    {
      defaultAccount: 'a',
      accounts: Object.fromEntries(
        Object.entries(TOKENS).map(([name, token]) => [name, { token, baseUrl: sim.url }]),
      ),
    },
    { onConfigFault },
  )

/** Three scans every 100 ms, one per account, naming it in their `account` field. */
const steadyTraffic = (topic: string) => {
  let n = 0
  return produceSteadily(
    () =>
      Object.keys(TOKENS).map((account) => {
        n++
        return [
          topic,
          {
            key: `scan-${n}`,
            eventId: accountEvent(account, 0),
            vid: 1_000 + (n % 300),
            at: Date.now(),
            account,
          },
        ] as const
      }),
    100,
  )
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe("one account's token revoked mid-run", () => {
  let sim: HubSpotSimulator | undefined
  let pipeline: AttendancePipeline | undefined

  afterEach(async () => {
    await pipeline?.stop({ timeoutMs: 5_000 })
    await sim?.stop()
    pipeline = undefined
    sim = undefined
  })

  it('with deadLetter: only its records become retryable error records; the others keep flowing', async () => {
    const topics = await createAccountTopics(1, 3)
    const [topic] = topics.inputs as [string]
    sim = await startHubSpotSimulator({ events: 'auto', contacts: 'auto', tokens: Object.values(TOKENS) })
    pipeline = attendancePipeline(threeAccounts(topics, sim, 'deadLetter'))
    const traffic = steadyTraffic(topic)
    await sleep(5_000)
    const revokedAt = Date.now()
    sim.revokeToken(TOKENS[REVOKED])
    await sleep(5_000)
    const total = (await traffic.stop()).get(topic)?.length ?? 0
    await waitUntil('every record has an outcome', () => {
      const m = pipeline?.metrics()
      return m !== undefined && m.results + m.errors >= total
    })
    await pipeline.stop()
    await pipeline.done

    const audit = await auditTopicsUntilComplete(topics)
    expect(audit.missing).toEqual([])
    expect([...audit.duplicated]).toEqual([])
    const errors = audit.entries.filter((e) => e.kind === 'error')
    expect(new Set(errors.map(accountOf))).toEqual(new Set([REVOKED]))
    expect(
      new Set(
        errors.map((e) => JSON.stringify([e.record['stage'], e.record['code'], e.record['retryable']])),
      ),
    ).toEqual(new Set([JSON.stringify(['sink', 'HUBSPOT_UNAUTHENTICATED', true])]))
    for (const error of errors) expect(JSON.stringify(error.record)).not.toContain(TOKENS[REVOKED])

    const log = sim.requestLog()
    const afterRevocation = log.filter((e) => e.at > revokedAt)
    const accepted = (account: string) =>
      afterRevocation.filter((e) => accountOfEvent(e.eventId) === account && e.status === '200').length
    console.log(
      `revoked ${REVOKED} (deadLetter): ${total} records, ${errors.length} dead-lettered; after the revocation ` +
        `a had ${accepted('a')} and c ${accepted('c')} requests accepted`,
    )
    // The other accounts went on being written after the revocation, and none of their requests failed.
    expect(accepted('a')).toBeGreaterThan(0)
    expect(accepted('c')).toBeGreaterThan(0)
    expect(log.filter((e) => accountOfEvent(e.eventId) !== REVOKED && e.status !== '200')).toEqual([])
    // The revoked account had results before, and error records after.
    expect(
      audit.entries.filter((e) => e.kind === 'result' && accountOf(e) === REVOKED).length,
    ).toBeGreaterThan(0)
    expect(errors.length).toBeGreaterThan(0)
    expect(sim.handlerCrashes()).toEqual([])
  })

  it('with stop: the member stops naming the account, commits none of its failed records, and a restart after the fix completes them', async () => {
    const topics = await createAccountTopics(1, 3)
    const [topic] = topics.inputs as [string]
    sim = await startHubSpotSimulator({ events: 'auto', contacts: 'auto', tokens: Object.values(TOKENS) })
    const config = threeAccounts(topics, sim, 'stop')
    pipeline = attendancePipeline(config)
    const traffic = steadyTraffic(topic)
    await sleep(3_000)
    sim.revokeToken(TOKENS[REVOKED])
    const stopped = await pipeline.done.then(
      () => undefined,
      (error: unknown) => error,
    )
    const total = (await traffic.stop()).get(topic)?.length ?? 0
    expect(stopped).toBeInstanceOf(AttendanceStreamError)
    expect(stopped).toMatchObject({ code: 'HUBSPOT_UNAUTHENTICATED', retryable: false })
    expect((stopped as Error).message).toContain(`"${REVOKED}"`)
    expect(`${(stopped as Error).message}\n${(stopped as Error).stack}`).not.toContain(TOKENS[REVOKED])

    const before = await auditTopicsUntilComplete(topics, 0)
    // Nothing was dead-lettered: the revoked account's records wait, uncommitted, for the fix.
    expect(before.entries.filter((e) => e.kind === 'error')).toEqual([])
    expect(before.missing.length).toBeGreaterThan(0)

    // The token is fixed (HubSpot knows it again); a new member replays what was not committed.
    sim.addToken(TOKENS[REVOKED])
    pipeline = attendancePipeline(config)
    const after = await auditTopicsUntilComplete(topics)
    console.log(
      `revoked ${REVOKED} (stop): ${total} records, ${before.missing.length} without an outcome when the member ` +
        `stopped, ${after.missing.length} after a restart with the token fixed (${after.duplicated.size} written twice)`,
    )
    expect(after.missing).toEqual([])
    expect(after.errors).toBe(0)
    expect(sim.handlerCrashes()).toEqual([])
  })
})
