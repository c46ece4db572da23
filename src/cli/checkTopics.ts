import { Kafka, type KafkaConfig, logLevel } from 'kafkajs'
import type { PipelineConfig } from '../config/pipelineConfig.js'
import { kafkaConfigOf } from '../streams/attendancePipeline.js'

/** How `run --create-topics` creates the topics that are missing (development only). */
export interface TopicsToCreate {
  readonly partitions: number
  readonly replicationFactor: number
}

/** Every topic exists (`created`: those made just now), or these topics are missing. */
export type TopicCheck =
  | { readonly _tag: 'Present'; readonly created: readonly string[] }
  | { readonly _tag: 'Missing'; readonly missing: readonly string[] }

/** The topics a member reads and writes, each once, in the order the configuration names them. */
export const topicsOf = (kafka: PipelineConfig['kafka']): string[] => [
  ...new Set([...kafka.inputTopics, kafka.resultsTopic, kafka.errorsTopic]),
]

/**
 * Asks the cluster which of the member's topics exist, before the member joins its group: a consumer would
 * otherwise fail with "This server does not host this topic-partition", naming no topic, and a producer on a
 * broker with `auto.create.topics.enable` would create an output topic with the broker's defaults. With
 * `create`, the missing ones are created instead. Rejects when Kafka cannot be reached (kafkajs's message).
 */
export const checkTopics = async (
  kafka: PipelineConfig['kafka'],
  create?: TopicsToCreate,
): Promise<TopicCheck> => {
  const admin = new Kafka(adminConfig(kafka)).admin()
  await admin.connect()
  try {
    const existing = new Set(await admin.listTopics())
    const missing = topicsOf(kafka).filter((topic) => !existing.has(topic))
    if (missing.length === 0) return { _tag: 'Present', created: [] }
    if (create === undefined) return { _tag: 'Missing', missing }
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: create.partitions,
        replicationFactor: create.replicationFactor,
      })),
    })
    return { _tag: 'Present', created: missing }
  } finally {
    await admin.disconnect()
  }
}

const adminConfig = (kafka: PipelineConfig['kafka']): KafkaConfig => ({
  ...kafkaConfigOf({ kafka }),
  clientId: `${kafka.clientId}-topic-check`,
  // Failures come back as the rejection, which the caller logs once; kafkajs's retry chatter is noise here.
  logLevel: logLevel.NOTHING,
})

/** The one error line for missing topics, naming each. */
export const missingTopicsMessage = (missing: readonly string[]): string =>
  `${missing.length === 1 ? 'topic' : 'topics'} ${missing.map((t) => `"${t}"`).join(', ')} ` +
  `${missing.length === 1 ? 'does' : 'do'} not exist: create ${missing.length === 1 ? 'it' : 'them'} first ` +
  '(or pass --create-topics in development)'
