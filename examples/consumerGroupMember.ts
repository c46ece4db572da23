/**
 * A consumer-group member as a service runs it: it works until SIGTERM (what Kubernetes, systemd and Docker
 * send) or Ctrl-C, then stops cleanly — no new fetches, open batches flushed, their outcomes written, finished
 * offsets committed, the group left — so the partitions move to the other members without redoing work.
 * A service scales out by starting more members with the same `groupId`: the group spreads the partitions, and
 * each member takes its share of the HubSpot rate budget. (Not with this file: each run starts its own broker and
 * topics, so a second copy joins nothing. To try several members, start `attendance-stream sandbox` and run
 * `attendance-stream run --config <its file>` in more than one terminal.)
 *
 *   npx tsx examples/consumerGroupMember.ts      (Ctrl-C to stop; twice to stop at once)
 */
import { isLeft } from 'fp-ts/lib/Either.js'
// in your project: import { attendancePipeline, resolvePipelineConfig } from 'attendance-stream'
import { attendancePipeline, type PipelineMetrics, resolvePipelineConfig } from '../src/index.js'
// in your project: import { generateAttendance, produceRecords } from 'attendance-stream/testing'
import { generateAttendance, produceRecords } from '../src/testing/index.js'
import { createExampleTopics, type ExampleTopics, isMain, runExample } from './support/exampleEnvironment.js'

type ShutdownSignal = 'SIGTERM' | 'SIGINT'

/** Where signals come from: `process`, or an EventEmitter in a test. */
export interface SignalSource {
  once(signal: ShutdownSignal, listener: () => void): unknown
  off(signal: ShutdownSignal, listener: () => void): unknown
}

export interface MemberOptions {
  readonly brokers: readonly string[]
  readonly hubspot: { readonly baseUrl: string; readonly token: string }
  readonly topics: Omit<ExampleTopics, 'groupId'> & { readonly groupId: string }
  /** Shows in logs and as the Kafka client id. Default `member`. */
  readonly name?: string
  /** Default `process`. */
  readonly signals?: SignalSource
  /** How long the clean stop may take before unfinished work is left for the next owner. Default 30 s. */
  readonly shutdownTimeoutMs?: number
  /** Called on a second signal, when waiting for the clean stop is not wanted. Default `process.exit(130)`. */
  readonly forceExit?: () => void
  /** Logs records done, in flight and lag this often. Default: never. */
  readonly progressEveryMs?: number
  readonly log?: (line: string) => void
}

export interface MemberSummary {
  /** The signal that stopped the member. */
  readonly signal: ShutdownSignal
  readonly stopMs: number
  readonly metrics: PipelineMetrics
}

/** Runs one member until a signal stops it; rejects if the pipeline fails on its own (e.g. HubSpot 401). */
export async function main(options: MemberOptions): Promise<MemberSummary> {
  const name = options.name ?? 'member'
  const log = (line: string) => (options.log ?? console.log)(`[${name}] ${line}`)
  const signals = options.signals ?? process
  const config = resolvePipelineConfig({
    kafka: {
      brokers: [...options.brokers],
      clientId: name,
      groupId: options.topics.groupId,
      inputTopics: [options.topics.input],
      resultsTopic: options.topics.results,
      errorsTopic: options.topics.errors,
      // A member that dies without leaving is replaced after this long.
      sessionTimeoutMs: 10_000,
    },
    hubspot: { accounts: { default: { baseUrl: options.hubspot.baseUrl, token: options.hubspot.token } } },
    batching: { maxWaitMs: 200 },
    limits: { commitIntervalMs: 1_000, shutdownTimeoutMs: options.shutdownTimeoutMs ?? 30_000 },
  })
  if (isLeft(config)) throw new Error(`bad configuration:\n${config.left.join('\n')}`)

  const pipeline = attendancePipeline(config.right)
  pipeline.events.subscribe((event) => {
    if (event.type === 'assigned') {
      log(
        `owns ${event.partitions.length} partitions, ${Math.round(event.share * 100)}% of the HubSpot budget`,
      )
    } else if (event.type === 'stopped') log(`stopped (${event.reason})`)
  })

  const progress =
    options.progressEveryMs === undefined
      ? undefined
      : setInterval(() => {
          const m = pipeline.metrics()
          const requests = m.sink.accounts['default']?.latencyMs.count ?? 0
          log(
            `${m.results + m.errors} done, ${m.inFlight} in flight, lag ${m.lag}, ${requests} HubSpot requests`,
          )
        }, options.progressEveryMs)

  let received: ShutdownSignal | undefined
  let stopStarted = 0
  const handlers = new Map<ShutdownSignal, () => void>()
  const signalled = new Promise<ShutdownSignal>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const handler = () => {
        if (received !== undefined) {
          log(`${signal} again: exiting without waiting for the clean stop`)
          ;(options.forceExit ?? (() => process.exit(130)))()
          return
        }
        received = signal
        // Listen again, for the second signal.
        signals.once(signal, handler)
        resolve(signal)
      }
      handlers.set(signal, handler)
      signals.once(signal, handler)
    }
  })

  try {
    // Whichever comes first: a signal, or the pipeline failing (`done` rejects; it never resolves unasked).
    const signal = await Promise.race([signalled, pipeline.done.then(() => signalled)])
    log(`${signal}: stopping`)
    stopStarted = Date.now()
    await pipeline.stop()
    await pipeline.done
    return { signal, stopMs: Date.now() - stopStarted, metrics: pipeline.metrics() }
  } finally {
    clearInterval(progress)
    for (const [signal, handler] of handlers) signals.off(signal, handler)
  }
}

if (isMain(import.meta.url)) {
  await runExample(
    async (env) => {
      const topics = await createExampleTopics(env.brokers, 'member', 4)
      await produceRecords(env.brokers, topics.input, [...generateAttendance(5_000, { seed: 5 })])
      // This run's broker and topics are its own: a second copy of this file makes a second broker, not a second
      // member. For several members on one broker, see `attendance-stream sandbox` (README, "Run the service
      // locally") or the two-member test in test/examples/examples.int.test.ts.
      console.log(`5,000 records on ${topics.input}; Ctrl-C to stop this member`)
      const summary = await main({ ...env, topics, progressEveryMs: 2_000 })
      const { results, errors, commits } = summary.metrics
      console.log(`${results} results, ${errors} errors, ${commits} commits; stopped in ${summary.stopMs} ms`)
      // As shells expect of an interrupted command; SIGTERM is the normal way to stop a service.
      process.exitCode = summary.signal === 'SIGINT' ? 130 : 0
    },
    { handlesSignals: true },
  )
}
