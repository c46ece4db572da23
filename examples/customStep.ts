/**
 * Composing the exported operators with a step of your own. Badges carry the attendee's registration email;
 * before batching, a lookup in the registration system resolves it to the HubSpot contact id (vid), so most
 * records go to the `create` endpoint by vid and only unknown badges to `email-create`.
 *
 *   records ─▶ decodeRecords ─┬─ Decoded ─▶ resolveContactIds (yours) ─▶ batchAttendance ─▶ sinkToHubSpot ─┐
 *                             └─ DecodeFailed ──────────────────────────────────────────────────────────────┴─▶ outcomes
 *
 *   npx tsx examples/customStep.ts
 *
 * The records come from an array here, to keep the example about the operators; `attendancePipeline` (see
 * basicPipeline.ts) is what puts them between Kafka and the outcome topics with safe offset commits.
 */
import {
  connect,
  filter,
  from,
  lastValueFrom,
  map,
  merge,
  mergeMap,
  type OperatorFunction,
  toArray,
} from 'rxjs'
// in your project: import { … } from 'attendance-stream'
import {
  type AttendanceRecord,
  batchAttendance,
  createHubSpotClient,
  createHubSpotSink,
  decodeRecords,
  isDecoded,
  isDecodeFailed,
  type PipelineOutcome,
  type SourceRecord,
  sinkToHubSpot,
  sourceRecordOf,
} from '../src/index.js'
// in your project: import { generateAttendance } from 'attendance-stream/testing'
import { generateAttendance } from '../src/testing/index.js'
import { isMain, runExample } from './support/exampleEnvironment.js'

/** Your registration system: which HubSpot contact a badge belongs to. Async, as a database or API call is. */
export interface BadgeRegistry {
  contactIdOf(email: string): Promise<number | undefined>
}

/** A registry backed by a Map, standing in for the real one. */
export const mapBadgeRegistry = (contacts: ReadonlyMap<string, number>): BadgeRegistry => ({
  contactIdOf: async (email) => contacts.get(email.toLowerCase()),
})

/**
 * Your step: names the contact by vid when the registry knows the email, and leaves the record as it is
 * otherwise. It must pass on every record (one outcome per input record is the pipeline's promise), so an
 * unknown badge is not dropped; a lookup that *fails* is an infrastructure fault and errors the stream.
 * `concurrency` bounds the lookups in flight: `mergeMap` alone would start one per record, without limit.
 */
export const resolveContactIds =
  (registry: BadgeRegistry, concurrency = 8): OperatorFunction<AttendanceRecord, AttendanceRecord> =>
  (records) =>
    records.pipe(
      mergeMap(async (record) => {
        if (!('email' in record.contact)) return record
        const vid = await registry.contactIdOf(record.contact.email)
        // contactProperties only matter when HubSpot creates a contact by email; a vid needs none.
        return vid === undefined ? record : { ...record, contact: { vid }, contactProperties: {} }
      }, concurrency),
    )

export interface CustomStepOptions {
  readonly hubspot: { readonly baseUrl: string; readonly token: string }
  /** Default 300. */
  readonly records?: number
  readonly log?: (line: string) => void
}

export interface CustomStepSummary {
  readonly records: number
  /** Outcomes by tag: `DecodeFailed`, `Recorded`, `Rejected`, `Failed`. */
  readonly outcomes: Readonly<Record<string, number>>
  /** Recorded outcomes by how the contact was named when sent. */
  readonly recordedBy: { readonly vid: number; readonly email: number }
}

export async function main(options: CustomStepOptions): Promise<CustomStepSummary> {
  const log = options.log ?? console.log
  // Every generated record names its contact by email (`c<vid>@example.com`); the registry knows two in three.
  const generated = [...generateAttendance(options.records ?? 300, { seed: 3, emailShare: 1, contacts: 150 })]
  const registry = mapBadgeRegistry(
    new Map(
      Array.from({ length: 150 }, (_, i) => 1_000 + i)
        .filter((vid) => vid % 3 !== 0)
        .map((vid) => [`c${vid}@example.com`, vid] as const),
    ),
  )
  const kafkaRecords: SourceRecord[] = generated.map((record, offset) =>
    sourceRecordOf('badge-scans', 0, {
      offset: String(offset),
      timestamp: String(Date.now()),
      key: Buffer.from(record.key),
      value: record.value === null ? null : Buffer.from(record.value),
    }),
  )

  const client = createHubSpotClient({ baseUrl: options.hubspot.baseUrl, token: options.hubspot.token })
  const sink = createHubSpotSink({ client, requestsPer10s: 90 })
  try {
    const outcomes = await lastValueFrom(
      from(kafkaRecords).pipe(
        decodeRecords(),
        // connect() subscribes both branches before the records flow: with share() a synchronous source
        // would be spent on the first branch before the second one subscribed.
        connect((decoded) =>
          merge<PipelineOutcome[]>(
            decoded.pipe(filter(isDecodeFailed)),
            decoded.pipe(
              filter(isDecoded),
              map((d) => d.record),
              resolveContactIds(registry, 8),
              batchAttendance({ maxBatchSize: 100, maxWaitMs: 100 }),
              sinkToHubSpot(sink, { concurrency: 4 }),
            ),
          ),
        ),
        toArray(),
      ),
    )
    const byTag: Record<string, number> = {}
    const recordedBy = { vid: 0, email: 0 }
    for (const outcome of outcomes) {
      byTag[outcome._tag] = (byTag[outcome._tag] ?? 0) + 1
      if (outcome._tag === 'Recorded') recordedBy['vid' in outcome.record.contact ? 'vid' : 'email']++
    }
    log(
      `${kafkaRecords.length} records → ${JSON.stringify(byTag)}; recorded by vid ${recordedBy.vid}, ` +
        `by email ${recordedBy.email}`,
    )
    return { records: kafkaRecords.length, outcomes: byTag, recordedBy }
  } finally {
    await sink.close()
    await client.close()
  }
}

if (isMain(import.meta.url)) {
  await runExample((env) => main(env), { kafka: false })
}
