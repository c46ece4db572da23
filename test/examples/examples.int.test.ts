import { EventEmitter } from 'node:events'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { main as basicPipeline } from '../../examples/basicPipeline.js'
import { main as consumerGroupMember } from '../../examples/consumerGroupMember.js'
import { main as customStep } from '../../examples/customStep.js'
import { main as emailVariant } from '../../examples/emailVariant.js'
import { main as enrichAndFilter } from '../../examples/enrichAndFilter.js'
import { createExampleTopics, waitUntil } from '../../examples/support/exampleEnvironment.js'
import { main as testYourPipeline } from '../../examples/testYourPipeline.js'
import { generateAttendance } from '../../src/testing/attendanceGenerator.js'
import { produceRecords } from '../../src/testing/attendanceTopics.js'
import { auditOutcomes, committedOffsets, endOffsets } from '../../src/testing/outcomeAudit.js'
import { type HubSpotSimulator, startHubSpotSimulator } from '../../src/testing/simulator/index.js'
import { testBrokers, withAdmin } from '../support/kafka.js'

// Each example's main, run on the test run's broker and a fresh simulator, as `npx tsx examples/<name>.ts`
// runs it on the embedded ones. What the examples print is collected and checked too.

describe('examples', () => {
  let sim: HubSpotSimulator
  let printed: string[]
  const log = (line: string) => printed.push(line)

  beforeEach(async () => {
    printed = []
    sim = await startHubSpotSimulator({ events: 'auto', contacts: 'auto' })
  })
  afterEach(() => sim.stop())

  const hubspot = () => ({ baseUrl: sim.url, token: sim.token })

  it('basicPipeline: every record gets one outcome, malformed ones an error, and all is committed', async () => {
    const summary = await basicPipeline({ brokers: testBrokers(), hubspot: hubspot(), records: 400, log })

    // The example's records are generateAttendance(400, { seed: 1, badShare: 0.05 }).
    const generated = [...generateAttendance(400, { seed: 1, badShare: 0.05 })]
    const malformed = generated.filter((r) => r.expected === undefined).length
    expect(malformed).toBeGreaterThan(0)
    expect(summary.produced).toBe(400)
    expect(summary.metrics.results).toBe(400 - malformed)
    expect(summary.metrics.errors).toBe(malformed)
    expect(printed.at(-1)).toMatch(
      /^400 records → \d+ results, \d+ errors \(\{.*\}\), \d+ batches, \d+ commits$/,
    )
    expect(printed.at(-1)).toContain(`→ ${400 - malformed} results, ${malformed} errors`)
    expect(sim.counters().requests).toBeGreaterThan(0)
    const [committed, ends] = await withAdmin(async (admin) => [
      await committedOffsets(admin, summary.topics.groupId, [summary.topics.input]),
      await endOffsets(admin, [summary.topics.input]),
    ])
    expect(committed).toEqual(ends)
  })

  it('customStep: the lookup turns known badge emails into vids; unknown ones stay emails', async () => {
    const summary = await customStep({ hubspot: hubspot(), records: 300, log })

    expect(summary.records).toBe(300)
    expect(summary.outcomes).toEqual({ DecodeFailed: 12, Recorded: 288 })
    expect(summary.recordedBy).toEqual({ vid: 188, email: 100 })
    // HubSpot saw both endpoint families: vids for the resolved badges, email-create for the rest.
    const byContact = sim.participations().map((p) => (p.contact.email === undefined ? 'vid' : 'email'))
    expect(new Set(byContact)).toEqual(new Set(['vid', 'email']))
    expect(printed).toEqual([
      '300 records → {"DecodeFailed":12,"Recorded":288}; recorded by vid 188, by email 100',
    ])
  })

  it('enrichAndFilter: user steps in the pipeline; skipped records get no outcome yet are committed', async () => {
    const summary = await enrichAndFilter({ brokers: testBrokers(), hubspot: hubspot(), records: 600, log })

    // The example's records: generateAttendance(600, { seed: 7, emailShare: 1, contacts: 150, badShare: 0.03 }).
    const generated = [...generateAttendance(600, { seed: 7, emailShare: 1, contacts: 150, badShare: 0.03 })]
    const malformed = generated.filter((r) => r.expected === undefined).length
    const notOurs = generated.filter(
      (r) => r.expected !== undefined && r.expected.eventId === 'expo-2026-2',
    ).length
    expect(malformed).toBeGreaterThan(0)
    expect(notOurs).toBeGreaterThan(100)
    expect(summary.metrics).toMatchObject({
      results: 600 - malformed - notOurs,
      errors: malformed,
      skipped: notOurs,
    })
    const audit = await auditOutcomes({
      brokers: testBrokers(),
      inputTopics: [summary.topics.input],
      resultsTopic: summary.topics.results,
      errorsTopic: summary.topics.errors,
    })
    // Skipped records are the only ones without an outcome record, and none has two.
    expect(audit.missing).toHaveLength(notOurs)
    expect(audit.duplicated.size).toBe(0)
    // The filter kept the other team's event away from HubSpot; the lookup sent resolved badges by vid.
    const participations = sim.participations()
    expect(participations.some((p) => p.externalEventId === 'expo-2026-2')).toBe(false)
    expect(new Set(participations.map((p) => (p.contact.email === undefined ? 'vid' : 'email')))).toEqual(
      new Set(['vid', 'email']),
    )
    const [committed, ends] = await withAdmin(async (admin) => [
      await committedOffsets(admin, summary.topics.groupId, [summary.topics.input]),
      await endOffsets(admin, [summary.topics.input]),
    ])
    expect(committed).toEqual(ends)
    expect(printed.at(-1)).toBe(
      `600 records → ${600 - malformed - notOurs} results, ${malformed} errors, ${notOurs} skipped (not our events), ${summary.metrics.commits} commits`,
    )
  })

  it('emailVariant: HubSpot creates contacts by email, the newest interaction wins, a bad address is an error', async () => {
    const summary = await emailVariant({ brokers: testBrokers(), hubspot: hubspot(), simulator: sim, log })

    expect(summary.results.map((r) => [r.contact, r.subscriberState])).toEqual([
      [{ email: 'ada@example.com' }, 'register'],
      [{ email: 'Ada@Example.com' }, 'attend'],
      [{ email: 'grace@example.com' }, 'register'],
      [{ email: 'grace@example.com' }, 'cancel'],
    ])
    expect(summary.errorCodes).toEqual(['INVALID_EVENT'])
    expect(summary.contacts).toEqual([
      { email: 'ada@example.com', state: 'attend', properties: { firstname: 'Ada', lastname: 'Lovelace' } },
      { email: 'grace@example.com', state: 'cancel', properties: { firstname: 'Grace' } },
    ])
    expect(printed).toContain('error: INVALID_EVENT')
  })

  it('consumerGroupMember: two members share the partitions and stop cleanly on SIGTERM', async () => {
    const brokers = testBrokers()
    const topics = await createExampleTopics(brokers, 'member-test', 4)
    const records = [...generateAttendance(800, { seed: 5 })]
    await produceRecords(brokers, topics.input, records)
    const signals = [new EventEmitter(), new EventEmitter()]
    const forced: string[] = []
    const members = ['a', 'b'].map((name, i) =>
      consumerGroupMember({
        brokers,
        hubspot: hubspot(),
        topics,
        name,
        signals: signals[i],
        forceExit: () => forced.push(name),
        log,
      }),
    )

    // Both members own a share of the partitions (the group rebalanced once b joined)...
    const owns = (name: string) =>
      printed.some((line) => new RegExp(`^\\[${name}\\] owns [1-3] partitions`).test(line))
    await waitUntil('both members own partitions', () => owns('a') && owns('b'))
    // ...and every record has an outcome on Kafka (duplicates after the rebalance may make it more).
    const outcomesWritten = async () => {
      const ends = await withAdmin((admin) => endOffsets(admin, [topics.results, topics.errors]))
      return [...ends.values()].reduce((sum, end) => sum + end, 0n)
    }
    const deadline = Date.now() + 120_000
    while ((await outcomesWritten()) < BigInt(records.length)) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the outcomes')
      await new Promise((resolve) => setTimeout(resolve, 250))
    }

    for (const emitter of signals) emitter.emit('SIGTERM')
    const summaries = await Promise.all(members)

    expect(summaries.map((s) => s.signal)).toEqual(['SIGTERM', 'SIGTERM'])
    expect(forced).toEqual([])
    expect(printed).toContain('[a] SIGTERM: stopping')
    expect(printed).toContain('[b] stopped (stop)')
    // Handlers are removed once the member stopped: nothing listens any more.
    expect(signals.map((e) => e.listenerCount('SIGTERM') + e.listenerCount('SIGINT'))).toEqual([0, 0])

    const audit = await auditOutcomes({
      brokers,
      inputTopics: [topics.input],
      resultsTopic: topics.results,
      errorsTopic: topics.errors,
    })
    // At least once across the rebalance when b joined; never lost.
    expect(audit.missing).toEqual([])
    expect(audit.unexpected).toEqual([])
    const [committed, ends] = await withAdmin(async (admin) => [
      await committedOffsets(admin, topics.groupId, [topics.input]),
      await endOffsets(admin, [topics.input]),
    ])
    expect(committed).toEqual(ends)
  })

  it('testYourPipeline: its checks pass with faults injected, and it says what it checked', async () => {
    const check = await testYourPipeline({ brokers: testBrokers(), records: 600, log })

    expect(check.records).toBe(600)
    expect(check.results + check.errors).toBe(600)
    expect(check.faultsInjected).toBeGreaterThanOrEqual(3)
    expect(check.retries).toBeGreaterThanOrEqual(check.faultsInjected)
    expect(check.participations).toBeGreaterThan(0)
    expect(printed).toEqual([`all checks passed: ${JSON.stringify(check)}`])
  })
})
