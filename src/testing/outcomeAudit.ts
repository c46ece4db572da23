import { type Admin, type Kafka, Kafka as KafkaClient, logLevel } from 'kafkajs'

/**
 * Reads a pipeline's results and errors topics back and checks the contract's central promise: every input
 * record has exactly one outcome record (or, across crashes, at least one). For tests, the demo and benchmarks.
 */

/** One outcome record read back. */
export interface OutcomeEntry {
  readonly kind: 'result' | 'error'
  /** The outcome record as written. */
  readonly record: Record<string, unknown>
  /** Kafka timestamp of the outcome record (epoch ms). */
  readonly writtenAt: number
}

/** How the outcome topics compare with the input topics. */
export interface OutcomeAudit {
  /** Input records (by `topic/partition/offset`) that have no outcome. */
  readonly missing: readonly string[]
  /** Input records with more than one outcome, and how many. */
  readonly duplicated: ReadonlyMap<string, number>
  /** Outcomes naming an input that does not exist. */
  readonly unexpected: readonly string[]
  readonly results: number
  readonly errors: number
  /** Every outcome by input coordinate (the last one read when duplicated). */
  readonly outcomes: ReadonlyMap<string, OutcomeEntry>
  /** Every outcome record read, duplicates included. */
  readonly entries: readonly OutcomeEntry[]
}

/** Where `auditOutcomes` reads. */
export interface AuditOptions {
  readonly brokers: readonly string[]
  readonly inputTopics: readonly string[]
  readonly resultsTopic: string
  readonly errorsTopic: string
  /** Stop reading once this many outcomes arrived, or when `timeoutMs` passed. Default: read to the end. */
  readonly timeoutMs?: number
}

/** End offsets (exclusive) of every partition of `topics`, as `topic/partition` → offset. */
export const endOffsets = async (admin: Admin, topics: readonly string[]): Promise<Map<string, bigint>> => {
  const out = new Map<string, bigint>()
  for (const topic of topics) {
    for (const { partition, high } of await admin.fetchTopicOffsets(topic)) {
      out.set(`${topic}/${partition}`, BigInt(high))
    }
  }
  return out
}

/** Offsets the group committed, as `topic/partition` → offset (-1 when none). */
export const committedOffsets = async (
  admin: Admin,
  groupId: string,
  topics: readonly string[],
): Promise<Map<string, bigint>> => {
  const out = new Map<string, bigint>()
  for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics: [...topics] })) {
    for (const { partition, offset } of partitions) out.set(`${topic}/${partition}`, BigInt(offset))
  }
  return out
}

/**
 * Reads both outcome topics from the beginning to their current end (a plain partition reader, no group) and
 * compares them with the input topics' offsets.
 */
export const auditOutcomes = async (options: AuditOptions): Promise<OutcomeAudit> => {
  const kafka = new KafkaClient({ brokers: [...options.brokers], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  try {
    const inputEnds = await endOffsets(admin, options.inputTopics)
    const counts = new Map<string, number>()
    const outcomes = new Map<string, OutcomeEntry>()
    const entries: OutcomeEntry[] = []
    let results = 0
    let errors = 0
    for (const [topic, kind] of [
      [options.resultsTopic, 'result'],
      [options.errorsTopic, 'error'],
    ] as const) {
      await readTopic(kafka, admin, topic, options.timeoutMs ?? 60_000, (value, timestamp) => {
        const record = JSON.parse(value) as { source: { topic: string; partition: number; offset: string } }
        const key = `${record.source.topic}/${record.source.partition}/${record.source.offset}`
        counts.set(key, (counts.get(key) ?? 0) + 1)
        const entry = { kind, record, writtenAt: Number(timestamp) }
        outcomes.set(key, entry)
        entries.push(entry)
        if (kind === 'result') results++
        else errors++
      })
    }
    const missing: string[] = []
    const expected = new Set<string>()
    for (const [topicPartition, end] of inputEnds) {
      for (let offset = 0n; offset < end; offset++) {
        const key = `${topicPartition}/${offset}`
        expected.add(key)
        if (!counts.has(key)) missing.push(key)
      }
    }
    const duplicated = new Map([...counts].filter(([, n]) => n > 1))
    const unexpected = [...counts.keys()].filter((key) => !expected.has(key))
    return { missing, duplicated, unexpected, results, errors, outcomes, entries }
  } finally {
    await admin.disconnect()
  }
}

/** Reads every message of `topic` up to its end offsets at the time of the call, with a plain consumer. */
const readTopic = async (
  kafka: Kafka,
  admin: Admin,
  topic: string,
  timeoutMs: number,
  onMessage: (value: string, timestamp: string) => void,
): Promise<void> => {
  const ends = await endOffsets(admin, [topic])
  const remaining = new Map([...ends].filter(([, end]) => end > 0n))
  if (remaining.size === 0) return
  const consumer = kafka.consumer({
    groupId: `audit-${topic}-${process.pid}-${Date.now()}`,
    maxWaitTimeInMs: 200,
  })
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`reading ${topic} did not reach its end within ${timeoutMs} ms`)),
        timeoutMs,
      )
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const key = `${topic}/${batch.partition}`
            const end = remaining.get(key)
            for (const message of batch.messages) {
              if (end !== undefined && BigInt(message.offset) < end && message.value !== null) {
                onMessage(message.value.toString('utf8'), message.timestamp)
              }
            }
            if (end !== undefined && BigInt(batch.lastOffset()) + 1n >= end) remaining.delete(key)
            if (remaining.size === 0) {
              clearTimeout(timer)
              resolve()
            }
          },
        })
        .catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
}
