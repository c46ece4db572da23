import { isLeft } from 'fp-ts/lib/Either.js'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { configSecrets } from '../config/configSecrets.js'
import { loadConfig } from '../config/loadConfig.js'
import { type AttendancePipeline, attendancePipeline } from '../streams/attendancePipeline.js'
import { checkBrokerCertificate } from '../streams/checkBrokerCertificate.js'
import { kafkaAccessFault } from '../streams/kafkaAccessFault.js'
import { kafkaConfigOf } from '../streams/kafkaClientConfig.js'
import { checkTopics, missingTopicsMessage, type TopicsToCreate } from './checkTopics.js'
import { type OpsServer, startOpsServer } from './httpServer.js'
import { createJsonLogger } from './jsonLogger.js'

export interface RunMemberOptions {
  readonly configFile?: string
  readonly env: NodeJS.ProcessEnv
  /** Create the missing topics instead of exiting {@link EXIT.missingTopics} (`--create-topics`). */
  readonly createTopics?: TopicsToCreate
  /** Where problems and logs go; default process.stderr. */
  readonly stderr?: { write(line: string): unknown }
}

/** Exit codes of `attendance-stream run`. */
export const EXIT = { ok: 0, failed: 1, badConfig: 2, missingTopics: 3, interrupted: 130 } as const

/**
 * `attendance-stream run`: one consumer-group member until SIGTERM/SIGINT.
 *
 * Before anything else connects, the input, results and errors topics must exist (else: exit 3, naming each).
 * A refused SASL login or an untrusted broker certificate exits 1 at once with one line naming the cause.
 * The first signal stops fetching, flushes open batches, writes their outcomes, commits and disconnects
 * (exit 0 after SIGTERM; 130 after SIGINT, as shells expect of an interrupted command), giving up on unfinished work after `limits.shutdownTimeoutMs` — that work is not committed, so the
 * group redoes it. A second signal exits at once (130) without committing anything more: what was committed
 * before stays safe, because only acknowledged outcomes are ever committed.
 */
export const runMember = async (options: RunMemberOptions): Promise<number> => {
  const stderr = options.stderr ?? process.stderr
  const loaded = loadConfig({
    ...(options.configFile === undefined ? {} : { file: options.configFile }),
    env: options.env,
  })
  if (isLeft(loaded)) {
    // Every problem at once, before connecting to anything (the problems never contain a secret).
    const count = loaded.left.length
    stderr.write(
      `attendance-stream: invalid configuration (${count} ${count === 1 ? 'problem' : 'problems'}):\n`,
    )
    for (const problem of loaded.left) stderr.write(`  - ${problem}\n`)
    return EXIT.badConfig
  }
  const config = loaded.right
  const log = createJsonLogger({ level: config.log.level, stream: stderr, secrets: configSecrets(config) })
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })

  try {
    // Before kafkajs, which would retry an untrusted certificate for seconds: one handshake says it at once.
    const untrusted = await checkBrokerCertificate(kafkaConfigOf(config))
    if (untrusted !== undefined) throw untrusted
    const topics = await checkTopics(config.kafka, options.createTopics)
    if (topics._tag === 'Missing') {
      log.error(missingTopicsMessage(topics.missing), { missing: topics.missing })
      return EXIT.missingTopics
    }
    if (topics.created.length > 0)
      log.warn('created missing topics (--create-topics)', { topics: topics.created })
  } catch (error) {
    // A refused login or an untrusted certificate is one line naming the cause (kafkajs's error is the detail).
    const access = kafkaAccessFault(error)
    if (access !== undefined) log.error(access.message, { code: access.code, brokers: config.kafka.brokers })
    else log.error('could not reach Kafka to check the topics', { brokers: config.kafka.brokers, error })
    return EXIT.failed
  }

  // The ops port first: when it is taken, the member fails before it joins the group or fetches anything.
  let pipeline: AttendancePipeline | undefined
  let failed = false
  let ops: OpsServer | undefined
  try {
    ops =
      config.metrics.port === undefined
        ? undefined
        : await startOpsServer({
            port: config.metrics.port,
            host: config.metrics.host,
            registry,
            ready: () => pipeline?.ready() ?? false,
            notReadyBecause: () => pipeline?.notReadyBecause(),
            healthy: () => !failed,
          })
  } catch (error) {
    log.error('could not open the metrics port', { port: config.metrics.port, error })
    return EXIT.failed
  }
  pipeline = attendancePipeline(config, { registry, logger: log })
  pipeline.done.catch(() => {
    failed = true
  })
  // Kafka answered the topic check; the group is joined later (readiness: /readyz, 'assigned' partitions).
  log.info('member starting: topics present, joining the consumer group', {
    groupId: config.kafka.groupId,
    inputTopics: config.kafka.inputTopics,
    ...(ops === undefined ? {} : { metrics: `${ops.url}/metrics` }),
  })

  let signals = 0
  let firstSignal: NodeJS.Signals | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    signals++
    if (signals === 1) {
      firstSignal = signal
      log.info('stopping: draining open batches, then committing', {
        signal,
        timeoutMs: config.limits.shutdownTimeoutMs,
      })
      void pipeline?.stop()
    } else {
      log.warn('second signal: exiting now, unfinished work stays uncommitted', { signal })
      process.exit(EXIT.interrupted)
    }
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)

  try {
    await pipeline.done
    log.info('member stopped', { ...pipeline.metrics(), sink: undefined })
    return firstSignal === 'SIGINT' ? EXIT.interrupted : EXIT.ok
  } catch (error) {
    log.error('member failed', { error })
    return EXIT.failed
  } finally {
    process.off('SIGTERM', onSignal)
    process.off('SIGINT', onSignal)
    await ops?.stop()
  }
}
