import type { Consumer, EachBatchPayload } from 'kafkajs'
import { afterEach, describe, expect, it } from 'vitest'
import { createTopic, deleteTopics, testKafka, uniqueName } from '../../support/kafka.js'

// The broker the whole suite stands on: a consumer group commits, restarts, and resumes exactly where it left off.
describe('the embedded Kafka broker with a kafkajs consumer group', () => {
  const topics: string[] = []
  const consumers: Consumer[] = []

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.disconnect()))
    await deleteTopics(topics.splice(0))
  })

  const produce = async (topic: string, from: number, count: number): Promise<void> => {
    const producer = testKafka().producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    const messages = Array.from({ length: count }, (_, i) => ({
      key: `k-${from + i}`,
      value: JSON.stringify({ n: from + i }),
    }))
    await producer.send({ topic, messages })
    await producer.disconnect()
  }

  /** Runs one consumer of `group` until `expected` messages arrived, committing each batch, then stops it. */
  const consume = async (
    topic: string,
    groupId: string,
    expected: number,
    quietMs = 0,
  ): Promise<number[]> => {
    const consumer = testKafka().consumer({
      groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 250,
    })
    consumers.push(consumer)
    const seen: number[] = []
    let done!: () => void
    const finished = new Promise<void>((resolve) => {
      done = resolve
    })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }: EachBatchPayload) => {
        for (const message of batch.messages) {
          seen.push((JSON.parse(message.value?.toString('utf8') ?? '{}') as { n: number }).n)
        }
        const last = batch.lastOffset()
        await consumer.commitOffsets([
          { topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
        ])
        if (seen.length >= expected) done()
      },
    })
    if (expected > 0) await finished
    // After the expected messages, stay a little longer so a redelivery would be seen.
    await new Promise((resolve) => setTimeout(resolve, quietMs))
    await consumer.disconnect()
    consumers.splice(consumers.indexOf(consumer), 1)
    return seen
  }

  it('consumes 1,000 records once, redelivers nothing after a restart, then gets exactly 10 new ones', async () => {
    const topic = uniqueName('smoke')
    const groupId = uniqueName('smoke-group')
    topics.push(topic)
    await createTopic(topic, 3)

    await produce(topic, 0, 1_000)
    const first = await consume(topic, groupId, 1_000)
    expect(first).toHaveLength(1_000)
    expect(new Set(first).size).toBe(1_000)

    await produce(topic, 1_000, 10)
    const second = await consume(topic, groupId, 10, 2_000)
    expect(second.sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => 1_000 + i))
  })
})
