import { randomBytes } from 'node:crypto'
import { type Admin, Kafka, logLevel } from 'kafkajs'
import { inject } from 'vitest'
import { createTopicsWithLeaders } from '../../src/testing/kafka/createTopicsWithLeaders.js'

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
  withAdmin((admin) => createTopicsWithLeaders(admin, [{ topic, numPartitions }]))

export const deleteTopics = (topics: string[]): Promise<void> =>
  withAdmin(async (admin) => {
    await admin.deleteTopics({ topics })
  })
