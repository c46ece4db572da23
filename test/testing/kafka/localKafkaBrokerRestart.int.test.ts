import { connect } from 'node:net'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LocalKafkaBroker } from '../../../src/testing/kafka/index.js'
import { startLocalKafkaBroker } from '../../../src/testing/kafka/index.js'

// A broker of its own: taking the suite's shared broker down would disturb whatever runs next.
describe('the embedded broker restarted', () => {
  let broker: LocalKafkaBroker
  beforeAll(async () => {
    broker = await startLocalKafkaBroker({ heapMb: 256 })
  })
  afterAll(async () => {
    await broker?.stop()
  })

  const client = () =>
    new Kafka({ clientId: 'restart-test', brokers: [...broker.brokers], logLevel: logLevel.NOTHING })

  const portAnswers = (address: string): Promise<boolean> => {
    const [host, port] = address.split(':') as [string, string]
    return new Promise((resolve) => {
      const socket = connect({ host, port: Number(port) })
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
  }

  // A restarted broker answers metadata before its group coordinator has re-read __consumer_offsets; clients
  // are told to retry (kafkajs's consumers do so on their own).
  const whileCoordinatorLoads = async <A>(request: () => Promise<A>): Promise<A> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await request()
      } catch (error) {
        const loading =
          error instanceof Error &&
          /coordinator is loading|not the leader|leadership election|coordinator is not available/i.test(
            error.message,
          )
        if (!loading || attempt >= 100) throw error
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
    }
  }

  it('keeps its records and committed offsets across stopBroker() / startBroker() (what restart() does), on the same address', async () => {
    const topic = 'restart-records'
    const groupId = 'restart-group'
    const addressBefore = [...broker.brokers]
    const kafka = client()
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true })
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    await producer.send({
      topic,
      messages: Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    })
    await producer.disconnect()
    await admin.setOffsets({
      groupId,
      topic,
      partitions: [
        { partition: 0, offset: '7' },
        { partition: 1, offset: '11' },
      ],
    })
    await admin.disconnect()

    await broker.stopBroker()
    expect(await portAnswers(addressBefore[0] as string)).toBe(false)
    await broker.startBroker()
    expect(broker.brokers).toEqual(addressBefore)

    const after = client().admin()
    await after.connect()
    try {
      const ends = await whileCoordinatorLoads(() => after.fetchTopicOffsets(topic))
      expect(ends.reduce((n, p) => n + Number(p.high), 0)).toBe(100)
      const [committed] = await whileCoordinatorLoads(() => after.fetchOffsets({ groupId, topics: [topic] }))
      const byPartition = Object.fromEntries(
        (committed?.partitions ?? []).map((p) => [p.partition, p.offset]),
      )
      expect(byPartition).toEqual({ 0: '7', 1: '11' })
    } finally {
      await after.disconnect()
    }
  })
})
