import { isLeft } from 'fp-ts/lib/Either.js'
import { type PipelineConfig, resolvePipelineConfig } from '../../src/config/pipelineConfig.js'
import { type SimulatorRequestEntry, windowCounts } from '../../src/testing/simulator/index.js'
import { createTopic, testBrokers, testKafka, uniqueName } from '../support/kafka.js'

/**
 * What the several-accounts tests share: records that name their account (or leave it to their topic), topics
 * and a config with several input topics, a producer that keeps traffic flowing while a test watches, and
 * readings of the simulator's request log and of the metrics text per account.
 */

/** One badge scan to produce; `account` undefined leaves the choice to the topic or the default. */
export interface ScanSpec {
  readonly key: string
  readonly eventId: string
  readonly vid: number
  readonly at: number
  readonly account?: string
}

export const scanValue = (scan: ScanSpec): string =>
  JSON.stringify({
    type: 'badge.scanned',
    scanId: scan.key,
    eventId: scan.eventId,
    contact: { vid: scan.vid },
    scannedAt: new Date(scan.at).toISOString(),
    direction: 'in',
    ...(scan.account === undefined ? {} : { account: scan.account }),
  })

/** The event ids of an account's records start with its name: the request log then says whose request it was. */
export const accountEvent = (account: string, n: number): string => `${account}-expo-${n}`
export const accountOfEvent = (eventId: string | undefined): string | undefined => eventId?.split('-expo-')[0]

export interface AccountTopics {
  readonly inputs: readonly string[]
  readonly results: string
  readonly errors: string
  readonly groupId: string
}

export const createAccountTopics = async (
  inputTopics: number,
  partitions: number,
): Promise<AccountTopics> => {
  const topics = {
    inputs: Array.from({ length: inputTopics }, () => uniqueName('scans')),
    results: uniqueName('results'),
    errors: uniqueName('errors'),
    groupId: uniqueName('group'),
  }
  for (const topic of topics.inputs) await createTopic(topic, partitions)
  await createTopic(topics.results, 3)
  await createTopic(topics.errors, 3)
  return topics
}

/** A resolved config on the run's broker with these accounts (the hubspot section) and overrides. */
export const accountsPipelineConfig = (
  topics: AccountTopics,
  hubspot: Record<string, unknown>,
  overrides: Record<string, unknown> = {},
): PipelineConfig => {
  const resolved = resolvePipelineConfig({
    kafka: {
      brokers: testBrokers(),
      groupId: topics.groupId,
      inputTopics: [...topics.inputs],
      resultsTopic: topics.results,
      errorsTopic: topics.errors,
      sessionTimeoutMs: 10_000,
    },
    hubspot,
    batching: { maxWaitMs: 200 },
    retry: { baseDelayMs: 50, maxDelayMs: 1_000 },
    limits: { commitIntervalMs: 500 },
    ...overrides,
  })
  if (isLeft(resolved)) throw new Error(`bad test config: ${resolved.left.join('; ')}`)
  return resolved.right
}

export const produceScans = async (topic: string, scans: readonly ScanSpec[]): Promise<void> => {
  const producer = testKafka().producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  try {
    for (let from = 0; from < scans.length; from += 1_000) {
      await producer.send({
        topic,
        messages: scans.slice(from, from + 1_000).map((scan) => ({ key: scan.key, value: scanValue(scan) })),
      })
    }
  } finally {
    await producer.disconnect()
  }
}

/**
 * Produces a few scans every `everyMs` until `stop()` is called, so traffic spans a whole run instead of
 * arriving at once; `stop()` resolves with every scan produced, per topic.
 */
export const produceSteadily = (
  nextScans: (round: number) => readonly (readonly [topic: string, scan: ScanSpec])[],
  everyMs: number,
): { stop(): Promise<ReadonlyMap<string, readonly ScanSpec[]>>; produced(): number } => {
  const producer = testKafka().producer({ idempotent: true, maxInFlightRequests: 1 })
  const sent = new Map<string, ScanSpec[]>()
  let count = 0
  let running = true
  const loop = (async () => {
    await producer.connect()
    for (let round = 0; running; round++) {
      const byTopic = new Map<string, ScanSpec[]>()
      for (const [topic, scan] of nextScans(round)) byTopic.set(topic, [...(byTopic.get(topic) ?? []), scan])
      await producer.sendBatch({
        topicMessages: [...byTopic].map(([topic, scans]) => ({
          topic,
          messages: scans.map((scan) => ({ key: scan.key, value: scanValue(scan) })),
        })),
      })
      for (const [topic, scans] of byTopic) {
        sent.set(topic, [...(sent.get(topic) ?? []), ...scans])
        count += scans.length
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs))
    }
    await producer.disconnect()
  })()
  return {
    stop: async () => {
      running = false
      await loop
      return sent
    },
    produced: () => count,
  }
}

/** Per pipeline account (from each request's event id): its requests, the tokens they carried, its busiest window. */
export interface AccountRequests {
  readonly requests: number
  readonly tokens: ReadonlySet<string | undefined>
  readonly inputs: number
  /** For every request, how many of the account's requests arrived in the `intervalMs` window ending at it. */
  readonly windows: readonly number[]
}

export const requestsByAccount = (
  log: readonly SimulatorRequestEntry[],
  intervalMs = 10_000,
): ReadonlyMap<string, AccountRequests> => {
  const grouped = new Map<string, SimulatorRequestEntry[]>()
  for (const entry of log) {
    const account = accountOfEvent(entry.eventId) ?? '(no event)'
    grouped.set(account, [...(grouped.get(account) ?? []), entry])
  }
  return new Map(
    [...grouped].map(([account, entries]) => [
      account,
      {
        requests: entries.length,
        tokens: new Set(entries.map((e) => e.token)),
        inputs: entries.reduce((sum, e) => sum + e.inputs, 0),
        windows: windowCounts(
          entries.map((e) => e.at).sort((a, b) => a - b),
          intervalMs,
        ),
      },
    ]),
  )
}

/**
 * The sum of a metric's samples per `account` label, from Prometheus text. Accepts the name with or without
 * `_total` (the metrics are being renamed to Prometheus conventions).
 */
export const metricByAccount = (text: string, name: string): ReadonlyMap<string, number> => {
  const sums = new Map<string, number>()
  const line = new RegExp(`^${name}(?:_total)?\\{([^}]*)\\}\\s+(\\S+)$`)
  for (const row of text.split('\n')) {
    const match = line.exec(row)
    if (match === null) continue
    const account = /(?:^|,)account="([^"]*)"/.exec(match[1] as string)?.[1]
    if (account === undefined) continue
    sums.set(account, (sums.get(account) ?? 0) + Number(match[2]))
  }
  return sums
}

export const max = (xs: readonly number[]): number => xs.reduce((m, x) => Math.max(m, x), 0)
