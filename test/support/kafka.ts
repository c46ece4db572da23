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

export const createTopic = (topic: string, numPartitions: number): Promise<void> =>
  withAdmin(async (admin) => {
    // kafkajs waits for leaders but retries only LEADER_NOT_AVAILABLE; a busy broker may first answer that it
    // does not host the new partitions yet (UNKNOWN_TOPIC_OR_PARTITION), so wait for the metadata ourselves.
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: false })
    for (let attempt = 1; ; attempt++) {
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
        if (
          topics[0]?.partitions.every((p) => p.leader >= 0) &&
          topics[0].partitions.length === numPartitions
        ) {
          return
        }
      } catch (error) {
        if (attempt >= 100) throw error
      }
      if (attempt >= 100) throw new Error(`topic ${topic} has no leaders after ${attempt} tries`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })

export const deleteTopics = (topics: string[]): Promise<void> =>
  withAdmin(async (admin) => {
    await admin.deleteTopics({ topics })
  })
