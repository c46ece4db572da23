import type { EachBatchPayload, Kafka } from 'kafkajs'
import { VirtualTimeScheduler } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { kafkaJsPort } from '../../src/member/kafkaJsPort.js'
import type { ConsumerListener } from '../../src/member/kafkaPort.js'

/**
 * The kafkajs adapter's answers to a kafkajs consumer that crashes, gives up or goes silent, on a stand-in for
 * kafkajs's client that behaves as kafkajs 2.2.4 does at those moments: between a crash and the restart's join
 * there is no group (pause/resume throw), and a restart's group starts unpaused.
 */

const EVENTS = {
  GROUP_JOIN: 'consumer.group_join',
  REBALANCING: 'consumer.rebalancing',
  CRASH: 'consumer.crash',
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  HEARTBEAT: 'consumer.heartbeat',
} as const

type Handler = (event: { payload: unknown }) => void

class StandInConsumer {
  readonly events = EVENTS
  readonly handlers = new Map<string, Set<Handler>>()
  hasGroup = false
  paused = false
  disconnected = false
  eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined
  constructor(private readonly failConnect: boolean) {}
  on(name: string, handler: Handler): () => void {
    const set = this.handlers.get(name) ?? new Set()
    set.add(handler)
    this.handlers.set(name, set)
    return () => set.delete(handler)
  }
  emit(name: string, payload: unknown): void {
    for (const handler of this.handlers.get(name) ?? []) handler({ payload })
  }
  listening(): number {
    return [...this.handlers.values()].reduce((n, set) => n + set.size, 0)
  }
  connect = async (): Promise<void> => {
    if (this.failConnect) throw new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092')
  }
  subscribe = async (): Promise<void> => undefined
  run = async (options: { eachBatch: (payload: EachBatchPayload) => Promise<void> }): Promise<void> => {
    this.eachBatch = options.eachBatch
    this.hasGroup = true
  }
  pause(): void {
    if (!this.hasGroup)
      throw new Error('Consumer group was not initialized, consumer#run must be called first')
    this.paused = true
  }
  resume(): void {
    if (!this.hasGroup)
      throw new Error('Consumer group was not initialized, consumer#run must be called first')
    this.paused = false
  }
  commitOffsets = async (): Promise<void> => undefined
  disconnect = async (): Promise<void> => {
    this.disconnected = true
    this.hasGroup = false
  }
  /** A join of the group (after a crash: kafkajs's new internal group, not paused). */
  join(partitions: number[]): void {
    this.hasGroup = true
    this.emit(EVENTS.GROUP_JOIN, { memberAssignment: { scans: partitions } })
  }
  crash(restart: boolean): void {
    this.hasGroup = false
    this.paused = false
    this.emit(EVENTS.CRASH, { error: new Error('Connection error: connect ECONNREFUSED'), restart })
  }
  deliver(offsets: string[]): Promise<void> | undefined {
    return this.eachBatch?.({
      batch: {
        topic: 'scans',
        partition: 0,
        highWatermark: '100',
        messages: offsets.map((offset) => ({ offset, key: null, value: Buffer.from('{}'), headers: {} })),
      },
      resolveOffset: () => undefined,
      heartbeat: async () => undefined,
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload)
  }
}

class StandInProducer {
  connects = 0
  sent = 0
  constructor(private readonly failConnect: boolean) {}
  connect = async (): Promise<void> => {
    this.connects++
    if (this.failConnect) throw new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092')
  }
  sendBatch = async (): Promise<void> => {
    this.sent++
  }
  disconnect = async (): Promise<void> => undefined
}

const standInKafka = (plan: { consumerConnectFails?: boolean[]; producerConnectFails?: boolean[] } = {}) => {
  const consumers: StandInConsumer[] = []
  const producers: StandInProducer[] = []
  const kafka = {
    consumer: () => {
      const consumer = new StandInConsumer(plan.consumerConnectFails?.[consumers.length] ?? false)
      consumers.push(consumer)
      return consumer
    },
    producer: () => {
      const producer = new StandInProducer(plan.producerConnectFails?.[producers.length] ?? false)
      producers.push(producer)
      return producer
    },
  } as unknown as Kafka
  return { kafka, consumers, producers }
}

const settle = () => new Promise((resolve) => setImmediate(resolve))
const advance = async (scheduler: VirtualTimeScheduler, ms: number) => {
  const until = scheduler.frame + ms
  while (scheduler.frame < until) {
    const next = Math.min(until, scheduler.frame + 100)
    scheduler.maxFrames = next
    scheduler.flush()
    scheduler.frame = next
    await settle()
  }
}

const recordingListener = () => {
  const seen = {
    assigned: [] as number[][],
    records: [] as string[],
    failed: [] as Error[],
    unavailable: [] as string[],
  }
  const listener: ConsumerListener = {
    onRecords: (_topic, _partition, records) => {
      seen.records.push(...records.map((r) => r.offset))
      return records.length
    },
    onAssigned: (assignment) => seen.assigned.push(assignment.map((a) => a.partition)),
    onRevoking: async () => undefined,
    onFailed: (error) => seen.failed.push(error),
    onUnavailable: (reason) => seen.unavailable.push(reason),
  }
  return { listener, seen }
}

const started = async (
  plan: Parameters<typeof standInKafka>[0] = {},
  limits: { maxUnavailableMs?: number; livenessTimeoutMs?: number } = {},
) => {
  const scheduler = new VirtualTimeScheduler()
  const { kafka, consumers, producers } = standInKafka(plan)
  const warnings: string[] = []
  const port = kafkaJsPort({
    kafka,
    groupId: 'g',
    topics: ['scans'],
    scheduler,
    ...limits,
    logger: { info: (msg) => warnings.push(`info ${msg}`), warn: (msg) => warnings.push(msg) },
  })
  const { listener, seen } = recordingListener()
  await port.consumer.start(listener)
  return { scheduler, port, consumers, producers, seen, warnings }
}

describe('kafkaJsPort: a consumer that kafkajs restarts, gives up on, or that goes silent', () => {
  it('pause and resume while kafkajs restarts do not throw, and the pause is applied again at the next join', async () => {
    const { port, consumers, seen } = await started()
    const consumer = consumers[0] as StandInConsumer
    consumer.join([0, 1])
    port.consumer.pause()
    expect(consumer.paused).toBe(true)
    consumer.crash(true)
    // The member learns that Kafka is away (it reports not ready until the next join).
    expect(seen.unavailable).toEqual([
      'the Kafka consumer crashed and is reconnecting: Connection error: connect ECONNREFUSED',
    ])
    expect(() => port.consumer.resume()).not.toThrow()
    expect(() => port.consumer.pause()).not.toThrow()
    consumer.join([0, 1])
    expect(consumer.paused).toBe(true)
    port.consumer.resume()
    expect(consumer.paused).toBe(false)
    await port.consumer.stop()
  })

  it('a crash kafkajs gives up on after the first join: a new consumer of the group is built and delivers', async () => {
    const { scheduler, port, consumers, seen, warnings } = await started()
    const first = consumers[0] as StandInConsumer
    first.join([0, 1])
    port.consumer.pause()
    first.crash(false)
    expect(seen.failed).toEqual([])
    expect(warnings).toEqual(['the Kafka consumer gave up; rebuilding it'])
    expect(seen.unavailable.at(-1)).toMatch(
      /^the Kafka consumer gave up after \d+ ms without an answer and is rebuilt: /,
    )
    await advance(scheduler, 1_000)
    expect(consumers).toHaveLength(2)
    const second = consumers[1] as StandInConsumer
    expect(first.disconnected).toBe(true)
    expect(first.listening()).toBe(0)
    second.join([0, 1])
    expect(seen.assigned).toEqual([
      [0, 1],
      [0, 1],
    ])
    // The member's pause holds on the new consumer; records still fetched by the old one are not delivered.
    expect(second.paused).toBe(true)
    port.consumer.resume()
    await first.deliver(['7'])
    await second.deliver(['5', '6'])
    expect(seen.records).toEqual(['5', '6'])
    expect(warnings).toContain('info the rebuilt Kafka consumer joined the group')
    expect(seen.failed).toEqual([])
    await port.consumer.stop()
  })

  it('a rebuilt consumer that cannot connect is rebuilt again, on a growing delay', async () => {
    const { scheduler, port, consumers, seen } = await started({ consumerConnectFails: [false, true, true] })
    ;(consumers[0] as StandInConsumer).join([0])
    ;(consumers[0] as StandInConsumer).crash(false)
    await advance(scheduler, 1_000)
    expect(consumers).toHaveLength(2)
    await advance(scheduler, 1_900)
    expect(consumers).toHaveLength(2)
    await advance(scheduler, 100)
    expect(consumers).toHaveLength(3)
    await advance(scheduler, 4_000)
    expect(consumers).toHaveLength(4)
    ;(consumers[3] as StandInConsumer).join([0])
    expect(seen.failed).toEqual([])
    await port.consumer.stop()
  })

  it('before the first join, a crash kafkajs gives up on fails the member at once (a start-up fault)', async () => {
    const { scheduler, consumers, seen } = await started()
    ;(consumers[0] as StandInConsumer).crash(false)
    await advance(scheduler, 60_000)
    expect(consumers).toHaveLength(1)
    expect(seen.failed.map((e) => e.message)).toEqual([
      'the Kafka consumer crashed: Connection error: connect ECONNREFUSED',
    ])
  })

  it('once Kafka has not answered for maxUnavailableMs, the member is told instead of waiting', async () => {
    const { scheduler, consumers, seen } = await started({}, { maxUnavailableMs: 10_000 })
    const consumer = consumers[0] as StandInConsumer
    consumer.join([0])
    await advance(scheduler, 11_000)
    consumer.crash(false)
    expect(consumers).toHaveLength(1)
    expect(seen.failed).toHaveLength(1)
    expect(seen.failed[0]?.message).toMatch(
      /^Kafka did not answer the consumer for 11000 ms \(limit 10000 ms\)/,
    )
  })

  it('a joined consumer that shows no sign of life is presumed dead and rebuilt; one that fetches is not', async () => {
    const { scheduler, port, consumers, seen } = await started({}, { livenessTimeoutMs: 20_000 })
    const consumer = consumers[0] as StandInConsumer
    consumer.join([0])
    for (let i = 0; i < 10; i++) {
      await advance(scheduler, 5_000)
      consumer.emit(EVENTS.FETCH, {})
    }
    expect(consumers).toHaveLength(1)
    await advance(scheduler, 30_000)
    expect(consumers).toHaveLength(2)
    expect(consumer.disconnected).toBe(true)
    expect(seen.failed).toEqual([])
    await port.consumer.stop()
  })
  it('while paused, the adapter heartbeats with the runner that fetched last, never with one that crashed', async () => {
    const { scheduler, port, consumers } = await started()
    const consumer = consumers[0] as StandInConsumer
    consumer.join([0])
    let beats = 0
    await consumer.eachBatch?.({
      batch: { topic: 'scans', partition: 0, highWatermark: '1', messages: [] },
      resolveOffset: () => undefined,
      heartbeat: async () => {
        beats++
      },
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload)
    port.consumer.pause()
    await advance(scheduler, 6_000)
    expect(beats).toBe(2)
    consumer.crash(true)
    await advance(scheduler, 6_000)
    expect(beats).toBe(2)
    await port.consumer.stop()
  })

  it('a consumer that kafkajs restarts after stop() (its disconnect crashed) is disconnected again when it joins', async () => {
    const { port, consumers } = await started()
    const consumer = consumers[0] as StandInConsumer
    consumer.join([0])
    await port.consumer.stop()
    consumer.disconnected = false
    consumer.join([0])
    expect(consumer.disconnected).toBe(true)
  })
})

describe('kafkaJsPort: the outcome producer', () => {
  it('a connect that failed is not kept: the next send connects a new producer', async () => {
    const { port, producers } = await started({ producerConnectFails: [true] })
    const message = { topic: 'results', key: null, value: '{}', headers: {} }
    await expect(port.producer.send([message])).rejects.toThrow(/ECONNREFUSED/)
    await port.producer.send([message])
    expect(producers).toHaveLength(2)
    expect(producers[1]?.sent).toBe(1)
  })
})
