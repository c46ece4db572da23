/**
 * Records that name contacts by email (HubSpot's `email-create` endpoint, variant B in docs/hubspot.md), and
 * what HubSpot — here the simulator — ends with: contacts created with the properties of the first record that
 * named them, and one participation per (event, contact), the newest interaction winning.
 *
 *   npx tsx examples/emailVariant.ts
 */
import { isLeft } from 'fp-ts/lib/Either.js'
// in your project: import { … } from 'attendance-stream'
import { attendancePipeline, type ResultRecord, resolvePipelineConfig } from '../src/index.js'
// in your project: import { … } from 'attendance-stream/testing'
import { auditOutcomes, type HubSpotSimulator, produceRecords } from '../src/testing/index.js'
import { createExampleTopics, isMain, runExample, waitUntil } from './support/exampleEnvironment.js'

export interface EmailVariantOptions {
  readonly brokers: readonly string[]
  readonly hubspot: { readonly baseUrl: string; readonly token: string }
  /** When given, its contacts and participations are reported. */
  readonly simulator?: HubSpotSimulator
  readonly log?: (line: string) => void
}

export interface EmailVariantSummary {
  readonly results: readonly ResultRecord[]
  /** Error codes of the error records, in input order. */
  readonly errorCodes: readonly string[]
  /** From the simulator: each contact by email, its state at `expo-2026` and the properties it was created with. */
  readonly contacts: readonly {
    readonly email: string
    readonly state: string | undefined
    readonly properties: Readonly<Record<string, string>>
  }[]
}

/** A morning at the registration desk and the doors, as producers would write it (docs/records.md §1). */
export const morningAtTheDoors = (now = Date.now()): { key: string; value: string }[] => {
  const at = (minutesAgo: number) => now - minutesAgo * 60_000
  const records = [
    {
      type: 'attendee.checkin',
      checkinId: 'chk-1',
      eventId: 'expo-2026',
      state: 'register',
      contact: { email: 'ada@example.com', properties: { firstname: 'Ada', lastname: 'Lovelace' } },
      occurredAt: at(50),
    },
    {
      type: 'badge.scanned',
      scanId: 'scn-1',
      eventId: 'expo-2026',
      // Emails match case-insensitively: this is Ada again.
      contact: { email: 'Ada@Example.com' },
      scannedAt: new Date(at(20)).toISOString(),
      direction: 'in',
    },
    {
      type: 'attendee.checkin',
      checkinId: 'chk-2',
      eventId: 'expo-2026',
      state: 'register',
      contact: { email: 'grace@example.com', properties: { firstname: 'Grace' } },
      occurredAt: at(45),
    },
    {
      type: 'attendee.checkin',
      checkinId: 'chk-3',
      eventId: 'expo-2026',
      state: 'cancel',
      contact: { email: 'grace@example.com' },
      occurredAt: at(10),
    },
    // Not an address: an error record (INVALID_EVENT) with the path of the problem, not a crash.
    {
      type: 'badge.scanned',
      scanId: 'scn-2',
      eventId: 'expo-2026',
      contact: { email: 'front desk' },
      scannedAt: at(5),
    },
  ]
  return records.map((value) => ({
    key: (value as { checkinId?: string; scanId?: string }).checkinId ?? String(value.scanId),
    value: JSON.stringify(value),
  }))
}

export async function main(options: EmailVariantOptions): Promise<EmailVariantSummary> {
  const log = options.log ?? console.log
  // One partition: the records are read in the order written (only the error record order below relies on it).
  const topics = await createExampleTopics(options.brokers, 'email', 1)
  const records = morningAtTheDoors()
  await produceRecords(options.brokers, topics.input, records)

  const config = resolvePipelineConfig({
    kafka: {
      brokers: [...options.brokers],
      groupId: topics.groupId,
      inputTopics: [topics.input],
      resultsTopic: topics.results,
      errorsTopic: topics.errors,
    },
    hubspot: { accounts: { default: { baseUrl: options.hubspot.baseUrl, token: options.hubspot.token } } },
    batching: { maxWaitMs: 200 },
  })
  if (isLeft(config)) throw new Error(`bad configuration:\n${config.left.join('\n')}`)
  const pipeline = attendancePipeline(config.right)
  try {
    await waitUntil('every record has an outcome', () => {
      const { results, errors } = pipeline.metrics()
      return results + errors >= records.length
    })
  } finally {
    await pipeline.stop()
  }
  await pipeline.done

  // Read the outcome topics back, as a downstream consumer would.
  const audit = await auditOutcomes({
    brokers: options.brokers,
    inputTopics: [topics.input],
    resultsTopic: topics.results,
    errorsTopic: topics.errors,
  })
  const byOffset = [...audit.outcomes.entries()].sort(([a], [b]) =>
    a.localeCompare(b, 'en', { numeric: true }),
  )
  const results = byOffset.filter(([, o]) => o.kind === 'result').map(([, o]) => o.record as ResultRecord)
  const errorCodes = byOffset.filter(([, o]) => o.kind === 'error').map(([, o]) => String(o.record['code']))
  for (const result of results) {
    log(`result: ${JSON.stringify(result.contact)} ${result.subscriberState} (batch ${result.batch.id})`)
  }
  for (const code of errorCodes) log(`error: ${code}`)

  const contacts = (options.simulator?.contacts() ?? []).map((contact) => {
    const participation = options.simulator
      ?.participations()
      .find((p) => p.contact.vid === contact.vid && p.externalEventId === 'expo-2026')
    return { email: contact.email ?? '', state: participation?.state, properties: contact.properties }
  })
  for (const c of contacts)
    log(`hubspot: ${c.email} is "${c.state}", created with ${JSON.stringify(c.properties)}`)
  return { results, errorCodes, contacts }
}

if (isMain(import.meta.url)) {
  await runExample((env) => main(env))
}
