/**
 * Your own steps inside the consumer-group pipeline, with safe commits: an enrichment (badge emails resolved to
 * HubSpot contact ids through an async lookup) and a filter (only the events this pipeline serves; the others
 * are skipped — done, nothing written, their offsets committed like any other).
 *
 *   records ─▶ decode ─▶ resolveContactIds (yours) ─▶ filterRecords (yours) ─▶ batch ─▶ HubSpot ─▶ outcomes
 *
 *   npx tsx examples/enrichAndFilter.ts
 *
 * Steps go into `steps.afterDecode`: an operator from attendance records to records or outcomes. Each record
 * must come out exactly once — as the record, or as `skipped(record.source, reason)` / an error outcome — or its
 * offset could never be committed.
 */
import { isLeft } from 'fp-ts/lib/Either.js'
import { pipe } from 'rxjs'
// in your project: import { … } from 'attendance-stream'
import {
  type AttendanceRecord,
  attendancePipeline,
  filterRecords,
  type PipelineMetrics,
  resolvePipelineConfig,
} from '../src/index.js'
// in your project: import { generateAttendance, produceRecords } from 'attendance-stream/testing'
import { generateAttendance, produceRecords } from '../src/testing/index.js'
import { mapBadgeRegistry, resolveContactIds } from './customStep.js'
import {
  createExampleTopics,
  type ExampleTopics,
  isMain,
  runExample,
  waitUntil,
} from './support/exampleEnvironment.js'

export interface EnrichAndFilterOptions {
  readonly brokers: readonly string[]
  readonly hubspot: { readonly baseUrl: string; readonly token: string }
  /** Records to put on the input topic first. Default 600. */
  readonly records?: number
  readonly log?: (line: string) => void
}

export interface EnrichAndFilterSummary {
  readonly topics: ExampleTopics
  readonly produced: number
  readonly metrics: PipelineMetrics
}

/** The events this pipeline writes to HubSpot; records of other events belong to someone else. */
const OUR_EVENTS = new Set(['expo-2026-0', 'expo-2026-1'])
const isOurEvent = (record: AttendanceRecord): boolean =>
  record.event.kind === 'external' && OUR_EVENTS.has(record.event.externalEventId)

export async function main(options: EnrichAndFilterOptions): Promise<EnrichAndFilterSummary> {
  const log = options.log ?? console.log
  const topics = await createExampleTopics(options.brokers, 'steps')
  // Every generated record names its contact by email (`c<vid>@example.com`), over three events.
  const records = [
    ...generateAttendance(options.records ?? 600, { seed: 7, emailShare: 1, contacts: 150, badShare: 0.03 }),
  ]
  await produceRecords(options.brokers, topics.input, records)
  // Your registration system knows two badges in three.
  const registry = mapBadgeRegistry(
    new Map(
      Array.from({ length: 150 }, (_, i) => 1_000 + i)
        .filter((vid) => vid % 3 !== 0)
        .map((vid) => [`c${vid}@example.com`, vid] as const),
    ),
  )

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

  const pipeline = attendancePipeline({
    ...config.right,
    steps: {
      // The filter runs after the lookup here; either order works, each record comes out once.
      afterDecode: pipe(resolveContactIds(registry, 8), filterRecords(isOurEvent, 'not-our-event')),
    },
  })
  try {
    await waitUntil('every record has an outcome or was skipped', () => {
      const { results, errors, skipped } = pipeline.metrics()
      return results + errors + skipped >= records.length
    })
  } finally {
    await pipeline.stop()
  }
  await pipeline.done

  const metrics = pipeline.metrics()
  log(
    `${records.length} records → ${metrics.results} results, ${metrics.errors} errors, ` +
      `${metrics.skipped} skipped (not our events), ${metrics.commits} commits`,
  )
  return { topics, produced: records.length, metrics }
}

if (isMain(import.meta.url)) {
  await runExample((env) => main(env))
}
