/**
 * The basic pipeline from code: one consumer-group member that reads badge scans and check-ins from Kafka,
 * writes attendance to HubSpot and one outcome record per input back to Kafka.
 *
 *   npx tsx examples/basicPipeline.ts
 *
 * With no settings it starts an embedded Kafka broker and the HubSpot simulator; `KAFKA_BROKERS=host:port`
 * uses your broker instead, `HUBSPOT_TOKEN` (and `HUBSPOT_BASE_URL`) a real HubSpot account.
 */
import { isLeft } from 'fp-ts/lib/Either.js'
// in your project: import { attendancePipeline, resolvePipelineConfig } from 'attendance-stream'
import { attendancePipeline, type PipelineMetrics, resolvePipelineConfig } from '../src/index.js'
// in your project: import { generateAttendance, produceRecords } from 'attendance-stream/testing'
import { generateAttendance, produceRecords } from '../src/testing/index.js'
import {
  createExampleTopics,
  type ExampleTopics,
  isMain,
  runExample,
  waitUntil,
} from './support/exampleEnvironment.js'

export interface BasicPipelineOptions {
  readonly brokers: readonly string[]
  readonly hubspot: { readonly baseUrl: string; readonly token: string }
  /** Records to put on the input topic first. Default 500. */
  readonly records?: number
  readonly log?: (line: string) => void
}

export interface BasicPipelineSummary {
  readonly topics: ExampleTopics
  readonly produced: number
  readonly metrics: PipelineMetrics
}

export async function main(options: BasicPipelineOptions): Promise<BasicPipelineSummary> {
  const log = options.log ?? console.log
  const topics = await createExampleTopics(options.brokers, 'basic')
  const records = [...generateAttendance(options.records ?? 500, { seed: 1, badShare: 0.05 })]
  await produceRecords(options.brokers, topics.input, records)

  // The same object the CLI reads from its JSON file (docs/configuration.md); defaults fill in the rest.
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
    limits: { commitIntervalMs: 1_000 },
  })
  // A bad config is reported in full, one line per problem, and never echoes the token.
  if (isLeft(config)) throw new Error(`bad configuration:\n${config.left.join('\n')}`)

  const pipeline = attendancePipeline(config.right)
  pipeline.events.subscribe((event) => {
    if (event.type === 'assigned') log(`assigned ${event.partitions.length} partitions`)
  })
  try {
    await waitUntil('every record has an outcome', () => {
      const { results, errors } = pipeline.metrics()
      return results + errors >= records.length
    })
  } finally {
    // Flushes what is open, writes the last outcomes, commits, leaves the group.
    await pipeline.stop()
  }
  await pipeline.done

  const metrics = pipeline.metrics()
  log(
    `${records.length} records → ${metrics.results} results, ${metrics.errors} errors ` +
      `(${JSON.stringify(metrics.errorsByCode)}), ${metrics.batches} batches, ${metrics.commits} commits`,
  )
  return { topics, produced: records.length, metrics }
}

if (isMain(import.meta.url)) {
  await runExample((env) => main(env))
}
