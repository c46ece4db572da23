import { randomBytes } from 'node:crypto'
import { type Admin, Kafka, logLevel, type Message } from 'kafkajs'
import { createTopicsWithLeaders } from '../../src/testing/kafka/createTopicsWithLeaders.js'

/** The broker a benchmark run uses, and the few Kafka chores every scenario needs. */
export interface BenchKafka {
  readonly brokers: readonly string[]
  client(clientId?: string): Kafka
  withAdmin<A>(use: (admin: Admin) => Promise<A>): Promise<A>
  createTopic(topic: string, partitions: number): Promise<void>
  /** Produces in chunks (kafkajs's default partitioner spreads them over partitions by key). */
  produce(topic: string, messages: Iterable<Message>, chunk?: number): Promise<number>
}

/** Unique per call, so scenarios never see each other's topics, groups or committed offsets. */
export const uniqueName = (prefix: string): string => `bench-${prefix}-${randomBytes(4).toString('hex')}`

export const benchKafka = (brokers: readonly string[]): BenchKafka => {
  const client = (clientId = uniqueName('client')) =>
    new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.NOTHING })
  const withAdmin = async <A>(use: (admin: Admin) => Promise<A>): Promise<A> => {
    const admin = client().admin()
    await admin.connect()
    try {
      return await use(admin)
    } finally {
      await admin.disconnect()
    }
  }
  return {
    brokers,
    client,
    withAdmin,
    createTopic: (topic, partitions) =>
      withAdmin((admin) => createTopicsWithLeaders(admin, [{ topic, numPartitions: partitions }])),
    produce: async (topic, messages, chunk = 5_000) => {
      const producer = client().producer({ idempotent: true, maxInFlightRequests: 1 })
      await producer.connect()
      let sent = 0
      try {
        let buffer: Message[] = []
        for (const message of messages) {
          buffer.push(message)
          if (buffer.length >= chunk) {
            await producer.send({ topic, messages: buffer })
            sent += buffer.length
            buffer = []
          }
        }
        if (buffer.length > 0) {
          await producer.send({ topic, messages: buffer })
          sent += buffer.length
        }
      } finally {
        await producer.disconnect()
      }
      return sent
    },
  }
}

/** Polls `condition` every `everyMs` until it holds; resolves with the time it first held (epoch ms). */
export const waitFor = async (
  what: string,
  condition: () => boolean,
  timeoutMs: number,
  everyMs = 10,
): Promise<number> => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
  return Date.now()
}
