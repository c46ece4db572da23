import { Kafka, logLevel, Partitioners } from 'kafkajs'
import type { GeneratedRecord } from './attendanceGenerator.js'
import { createTopicsWithLeaders } from './kafka/createTopicsWithLeaders.js'

/**
 * The Kafka side of trying a pipeline out: its three topics created on a (fresh) broker, and records written to
 * its input topic as a badge scanner or a registration app would. Used by `attendance-stream sandbox`, the demo
 * and the examples.
 */

/** A pipeline's topics: where scans and check-ins arrive, and where results and errors go. */
export interface AttendanceTopics {
  readonly input: string
  readonly results: string
  readonly errors: string
}

// Silent: kafkajs logs at ERROR level every attempt it retries (a NOT_LEADER right after a topic is created), and
// what it finally cannot do reaches the caller as a rejected promise anyway.
const client = (brokers: readonly string[]): Kafka =>
  new Kafka({ clientId: 'attendance-stream-testing', brokers: [...brokers], logLevel: logLevel.NOTHING })

/**
 * Creates the three topics and resolves once every partition has a leader (right after a broker starts, a
 * topic just created may briefly be unknown to it: see `createTopicsWithLeaders`). Topics that exist are kept.
 */
export const createAttendanceTopics = async (
  brokers: readonly string[],
  topics: AttendanceTopics,
  partitions: { readonly input?: number; readonly outcomes?: number } = {},
): Promise<void> => {
  const admin = client(brokers).admin()
  await admin.connect()
  try {
    const outcomes = partitions.outcomes ?? 1
    await createTopicsWithLeaders(admin, [
      { topic: topics.input, numPartitions: partitions.input ?? 3 },
      { topic: topics.results, numPartitions: outcomes },
      // The errors topic may be the results topic (records.md): one topic, created once.
      ...(topics.errors === topics.results ? [] : [{ topic: topics.errors, numPartitions: outcomes }]),
    ])
  } finally {
    await admin.disconnect()
  }
}

/** Writes `records` to `topic`, keyed, 1,000 per produce request; resolves once Kafka acknowledged them all. */
export const produceRecords = async (
  brokers: readonly string[],
  topic: string,
  records: Iterable<Pick<GeneratedRecord, 'key' | 'value'>>,
): Promise<number> => {
  // Kafka's default partitioner (murmur2 of the key, as the Java client): a record lands where other clients'
  // records with the same key do. Idempotent: a produce request spans partitions, and when one of them answers
  // NOT_LEADER (common on a topic just created) kafkajs resends the whole request; without sequence numbers the
  // partitions that had accepted it would hold those records twice (seen: 754 records on the topic for 600 sent).
  const producer = client(brokers).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
  })
  await producer.connect()
  let produced = 0
  try {
    let chunk: { key: string; value: string | null }[] = []
    const flush = async () => {
      await producer.send({ topic, messages: chunk })
      produced += chunk.length
      chunk = []
    }
    for (const { key, value } of records) {
      chunk.push({ key, value })
      if (chunk.length === 1_000) await flush()
    }
    if (chunk.length > 0) await flush()
  } finally {
    await producer.disconnect()
  }
  return produced
}
