import { randomBytes } from 'node:crypto'
import { type Admin, Kafka, logLevel } from 'kafkajs'
import { inject } from 'vitest'

/** The brokers of the run's shared Kafka (see test/setup/kafkaGlobalSetup.ts). */
export const testBrokers = (): string[] => inject('kafkaBrokers')

/** A name no other test uses, so tests never see each other's topics, groups or offsets. */
export const uniqueName = (prefix: string): string => `${prefix}-${randomBytes(5).toString('hex')}`

export const testKafka = (clientId = uniqueName('test')): Kafka =>
  new Kafka({ clientId, brokers: testBrokers(), logLevel: logLevel.ERROR })

export const withAdmin = async <A>(use: (admin: Admin) => Promise<A>): Promise<A> => {
  const admin = testKafka().admin()
  await admin.connect()
  try {
    return await use(admin)
  } finally {
    await admin.disconnect()
  }
}

/**
 * Creates the topic and waits until every partition has a leader. Not kafkajs's `waitForLeaders`: right after a
 * KRaft broker starts, its metadata answer for a topic just created can be UNKNOWN_TOPIC_OR_PARTITION, which
 * kafkajs does not retry (only LEADER_NOT_AVAILABLE), so the first test of a run would fail on it.
 */
export const createTopic = (topic: string, numPartitions: number): Promise<void> =>
  withAdmin(async (admin) => {
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: false })
    const deadline = Date.now() + 60_000
    for (;;) {
      const partitions = await admin
        .fetchTopicMetadata({ topics: [topic] })
        .then((metadata) => metadata.topics[0]?.partitions ?? [])
        .catch((error: unknown) => {
          if (Date.now() > deadline) throw error
          return []
        })
      if (partitions.length === numPartitions && partitions.every((p) => p.leader >= 0)) return
      if (Date.now() > deadline) throw new Error(`topic ${topic} has no leader for every partition`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })

export const deleteTopics = (topics: string[]): Promise<void> =>
  withAdmin(async (admin) => {
    await admin.deleteTopics({ topics })
  })
