import { isLeft } from 'fp-ts/lib/Either.js'
import { type PipelineConfig, resolvePipelineConfig } from '../../src/config/pipelineConfig.js'
import { type AttendancePipeline, attendancePipeline } from '../../src/streams/attendancePipeline.js'
import { type BenchKafka, uniqueName } from './benchKafka.js'

/** One scenario's input, results and errors topics and its group, all unique to it. */
export interface BenchTopics {
  readonly input: string
  readonly results: string
  readonly errors: string
  readonly groupId: string
}

export const createBenchTopics = async (
  kafka: BenchKafka,
  prefix: string,
  partitions: number,
  /** An input topic that already exists (several runs over the same records). */
  existingInput?: string,
): Promise<BenchTopics> => {
  const topics = {
    input: existingInput ?? uniqueName(`${prefix}-in`),
    results: uniqueName(`${prefix}-results`),
    errors: uniqueName(`${prefix}-errors`),
    groupId: uniqueName(`${prefix}-group`),
  }
  if (existingInput === undefined) await kafka.createTopic(topics.input, partitions)
  await kafka.createTopic(topics.results, partitions)
  await kafka.createTopic(topics.errors, partitions)
  return topics
}

/** A resolved config on the bench broker and the simulator: the product's defaults unless a scenario says. */
export const benchPipelineConfig = (
  kafka: BenchKafka,
  topics: BenchTopics,
  hubspot: { readonly url: string; readonly token: string; readonly requestsPer10s?: number },
  overrides: Record<string, unknown> = {},
): PipelineConfig => {
  const input = {
    kafka: {
      brokers: [...kafka.brokers],
      groupId: topics.groupId,
      inputTopics: [topics.input],
      resultsTopic: topics.results,
      errorsTopic: topics.errors,
    },
    hubspot: {
      accounts: {
        default: {
          token: hubspot.token,
          baseUrl: hubspot.url,
          ...(hubspot.requestsPer10s === undefined ? {} : { requestsPer10s: hubspot.requestsPer10s }),
        },
      },
    },
    ...overrides,
  }
  const resolved = resolvePipelineConfig(input)
  if (isLeft(resolved)) throw new Error(`bad bench config: ${resolved.left.join('; ')}`)
  return resolved.right
}

/** The simulator's settings for "HubSpot is not the bottleneck": no latency, a limit nothing reaches. */
export const UNLIMITED_SIMULATOR = {
  events: 'auto',
  contacts: 'auto',
  rateLimit: { max: 1_000_000, daily: null },
} as const

export const UNLIMITED_REQUESTS_PER_10S = 1_000_000

/**
 * `attendancePipeline`, with its warnings and errors on stderr, and a `metrics()` that throws once the pipeline
 * has failed — every wait in the scenarios polls `metrics()`, so a failed pipeline ends the scenario with its
 * cause instead of a time-out.
 */
export const startBenchPipeline = (config: PipelineConfig): AttendancePipeline => {
  const logger = {
    info: () => undefined,
    warn: (msg: string, fields?: object) =>
      console.error(`[pipeline] ${msg} ${JSON.stringify(fields ?? {})}`),
    error: (msg: string, fields?: object) =>
      console.error(`[pipeline] ${msg} ${JSON.stringify(fields ?? {})}`),
  }
  const pipeline = attendancePipeline(config, { logger })
  let failure: { error: unknown } | undefined
  pipeline.done.catch((error: unknown) => {
    failure = { error }
  })
  return {
    ...pipeline,
    metrics: () => {
      if (failure !== undefined) throw failure.error
      return pipeline.metrics()
    },
  }
}
