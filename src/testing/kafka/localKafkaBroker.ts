import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AttendanceStreamError } from '../../errors.js'
import { generateBrokerCertificates } from './brokerCertificates.js'
import { freeLoopbackPort } from './freePort.js'
import { DEFAULT_KAFKA_VERSION, type LocalKafkaBroker } from './kafkaBroker.js'
import { brokerLog4jPath, defaultCacheDir, ensureKafkaJars, javaMajorVersion } from './kafkaJars.js'
import {
  type SaslSslListener,
  type SaslSslOptions,
  saslSslListenerEntries,
  saslSslProperties,
  saslSslUsersProblem,
  scramFormatArguments,
} from './saslSslListener.js'
import { waitForMetadata } from './waitForMetadata.js'

/** How the embedded broker is started. */
export interface LocalKafkaBrokerOptions {
  /** Apache Kafka version (4.x); default `KAFKA_VERSION` or {@link DEFAULT_KAFKA_VERSION}. */
  readonly kafkaVersion?: string
  /** Where the jars are cached between runs; default `<package>/.cache` or `ATTENDANCE_STREAM_CACHE_DIR`. */
  readonly cacheDir?: string
  /** JVM heap in MiB (both -Xms and -Xmx); default 512. */
  readonly heapMb?: number
  /** How long the broker may take to answer metadata; default 60 s. */
  readonly startTimeoutMs?: number
  /** Default partition count of auto-created topics; default 1. */
  readonly defaultPartitions?: number
  /** Progress lines (fetching jars); broker output is kept and shown only when start-up fails. */
  readonly log?: (line: string) => void
  /**
   * Also open a SASL_SSL listener for clients, as production clusters have: SCRAM-SHA-512 and/or PLAIN users,
   * and a CA and broker certificate made at start in the broker's temp folder (removed on stop). The handle's
   * `saslSsl` gives its address and the CA to trust. The plaintext listener (`brokers`) stays open, for setting
   * up topics and reading results without credentials, and it is also the controller's and inter-broker one.
   */
  readonly saslSsl?: SaslSslOptions
}

const START_ATTEMPTS = 3
const OUTPUT_LINES_KEPT = 60

/**
 * Starts a single-node Apache Kafka (KRaft, broker and controller in one JVM) on free loopback ports, from the
 * jars `ensureKafkaJars` caches, with its storage formatted in a fresh temp folder.
 *
 * The JVM runs under a small shell watchdog that kills it and removes the folder when we call `stop()`, when
 * this Node process exits, and also when this process is killed with SIGKILL (the watchdog polls our pid), so
 * an interrupted test run never leaves a broker or a data folder behind. The data is throwaway, so `stop()`
 * kills the broker rather than shutting it down gracefully. The watchdog and JVM run in a process group of their
 * own, so a terminal's Ctrl-C reaches only our process, which stops its Kafka clients first and the broker last.
 *
 * `stopBroker()` / `startBroker()` / `restart()` take the broker down cleanly and bring it back on the same
 * ports with the same data (topics, records, committed offsets): a Kafka outage for a test or a user to ride out.
 *
 * With `saslSsl`, the broker also listens for SASL_SSL clients (`broker.saslSsl.brokers`), whose certificate is
 * signed by a CA made for this broker alone (`broker.saslSsl.caPem` / `caFile`); SCRAM credentials are stored
 * when the storage is formatted, PLAIN users are listed in the broker's config. These are test credentials:
 * they sit in the broker's temp folder and, for a second, on the formatting JVM's command line.
 *
 * @example
 * const kafka = await startLocalKafkaBroker({
 *   saslSsl: { users: [{ mechanism: 'scram-sha-512', username: 'attendance', password: 'attendance-secret' }] },
 * })
 * // kafka.saslSsl.brokers, with ssl: { ca: kafka.saslSsl.caPem } and the user's sasl options
 */
export const startLocalKafkaBroker = async (
  options: LocalKafkaBrokerOptions = {},
): Promise<LocalKafkaBroker> => {
  const kafkaVersion = options.kafkaVersion ?? process.env['KAFKA_VERSION'] ?? DEFAULT_KAFKA_VERSION
  const java = process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin', 'java') : 'java'
  const major = await javaMajorVersion(java)
  if (major === undefined || major < 17) {
    throw new AttendanceStreamError(
      'BROKER_START_FAILED',
      major === undefined
        ? 'Java 17+ is required to run the embedded Kafka broker, and none was found'
        : `Java 17+ is required to run the embedded Kafka broker, found Java ${major}`,
    )
  }
  const usersProblem = options.saslSsl === undefined ? undefined : saslSslUsersProblem(options.saslSsl.users)
  if (usersProblem !== undefined) throw new AttendanceStreamError('BROKER_START_FAILED', usersProblem)
  const libDir = await ensureKafkaJars(kafkaVersion, options.cacheDir ?? defaultCacheDir(), options.log)

  let lastError: unknown
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(java, libDir, kafkaVersion, options)
    } catch (error) {
      // Usually a port taken between probing and binding it; a fresh pair of ports fixes that.
      lastError = error
    }
  }
  throw new AttendanceStreamError(
    'BROKER_START_FAILED',
    `Apache Kafka ${kafkaVersion} did not start: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
    { cause: lastError },
  )
}

const startOnce = async (
  java: string,
  libDir: string,
  kafkaVersion: string,
  options: LocalKafkaBrokerOptions,
): Promise<LocalKafkaBroker> => {
  const dir = mkdtempSync(join(tmpdir(), 'attendance-stream-kafka-'))
  const [port, controllerPort] = [await freeLoopbackPort(), await freeLoopbackPort()]
  const secured =
    options.saslSsl === undefined
      ? undefined
      : await securedListener(dir, java, options.saslSsl).catch((error: unknown) => {
          rmSync(dir, { recursive: true, force: true })
          throw error
        })
  const propertiesFile = join(dir, 'server.properties')
  writeFileSync(
    propertiesFile,
    serverProperties(dir, port, controllerPort, options.defaultPartitions ?? 1, secured?.properties),
  )

  const heap = `${options.heapMb ?? 512}m`
  const javaArgs = [
    `-Xms${heap}`,
    `-Xmx${heap}`,
    '-XX:+UseG1GC',
    `-Dlog4j2.configurationFile=${brokerLog4jPath}`,
    '-cp',
    `${libDir}/*`,
  ]
  const launch = (format: boolean): BrokerProcess =>
    launchWatchdog({
      OWNER_PID: String(process.pid),
      DATA_DIR: dir,
      JAVA_BIN: java,
      JAVA_ARGS: javaArgs.join('\n'),
      CLUSTER_ID: clusterId,
      PROPERTIES: propertiesFile,
      FORMAT: format ? '1' : '0',
      FORMAT_ARGS: (options.saslSsl === undefined ? [] : scramFormatArguments(options.saslSsl.users)).join(
        '\n',
      ),
    })
  const clusterId = randomBytes(16).toString('base64url')
  const brokers = [`127.0.0.1:${port}`]
  const startTimeoutMs = options.startTimeoutMs ?? 60_000

  const started = Date.now()
  let current: BrokerProcess | undefined = launch(true)
  // Whatever else happens, the folder goes when this process exits (the watchdog also removes it then).
  const removeDir = () => rmSync(dir, { recursive: true, force: true })
  process.once('exit', removeDir)

  const stop = once(async () => {
    process.removeListener('exit', removeDir)
    await current?.end('discard')
    current = undefined
    removeDir()
  })
  const startProcess = async (process_: BrokerProcess): Promise<void> => {
    try {
      await waitForMetadata(brokers, startTimeoutMs, process_.exited)
    } catch (error) {
      await stop()
      const tail = process_.output().join('\n')
      throw new Error(`${error instanceof Error ? error.message : String(error)}${tail ? `\n${tail}` : ''}`)
    }
  }
  await startProcess(current)
  const readyMs = Date.now() - started

  // One restart at a time: stopBroker and startBroker wait for any step still running.
  let step: Promise<void> = Promise.resolve()
  const serially = (work: () => Promise<void>): Promise<void> => {
    step = step.then(work, work)
    return step
  }
  const stopBroker = () =>
    serially(async () => {
      await current?.end('keep')
      current = undefined
    })
  const startBroker = () =>
    serially(async () => {
      if (current !== undefined && current.exited() === undefined) return
      current = launch(false)
      await startProcess(current)
    })
  return {
    brokers,
    source: 'local',
    kafkaVersion,
    readyMs,
    ...(secured === undefined ? {} : { saslSsl: secured.listener }),
    stop,
    stopBroker,
    startBroker,
    restart: async () => {
      await stopBroker()
      await startBroker()
    },
  }
}

interface BrokerProcess {
  /** Why the broker process is gone, or undefined while it runs. */
  readonly exited: () => string | undefined
  /** Its last lines of output, shown when start-up fails. */
  readonly output: () => string[]
  /**
   * `discard`: kill the JVM and remove the data folder (the end of the broker's life); `keep`: a clean Kafka
   * shutdown that keeps the folder, so a later start has the same topics, records and committed offsets.
   */
  end(mode: 'discard' | 'keep'): Promise<void>
}

const launchWatchdog = (env: Record<string, string>): BrokerProcess => {
  const watchdog = spawn('sh', ['-c', WATCHDOG, 'kafka-watchdog'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C in a terminal signals the whole foreground group, and the broker must
    // outlive the members that are still draining into it. We stop it ourselves, last (or the watchdog does,
    // once this process is gone).
    detached: true,
  })
  const output = keepLastLines(watchdog, OUTPUT_LINES_KEPT)
  // A forgotten stop() must not keep Node alive: the 'exit' hook below (or the watchdog) cleans up then.
  watchdog.unref()
  for (const stream of [watchdog.stdout, watchdog.stderr]) (stream as unknown as Partial<Socket>).unref?.()
  let exited: string | undefined
  const gone = new Promise<void>((resolve) =>
    watchdog.once('exit', (code, signal) => {
      exited = `the broker process exited (${signal ?? `code ${code}`})`
      resolve()
    }),
  )
  const killOnExit = () => watchdog.kill('SIGTERM')
  process.once('exit', killOnExit)
  return {
    exited: () => exited,
    output,
    end: async (mode) => {
      process.removeListener('exit', killOnExit)
      if (exited !== undefined) return
      // Referenced while we wait: an unreferenced child would let Node exit in the middle of this await.
      watchdog.ref()
      watchdog.kill(mode === 'discard' ? 'SIGTERM' : 'SIGUSR1')
      await gone
      watchdog.unref()
    },
  }
}

/** The SASL_SSL listener on a port of its own: its certificates, its broker settings, and its handle. */
const securedListener = async (dir: string, java: string, options: SaslSslOptions) => {
  const port = await freeLoopbackPort()
  const certificates = await generateBrokerCertificates(dir, {
    java,
    ...(options.certificateTool === undefined ? {} : { tool: options.certificateTool }),
  })
  const listener: SaslSslListener = {
    brokers: [`127.0.0.1:${port}`],
    caPem: certificates.caPem,
    caFile: certificates.caFile,
  }
  return {
    listener,
    properties: { ...saslSslListenerEntries(port), settings: saslSslProperties(options.users, certificates) },
  }
}

const serverProperties = (
  dir: string,
  port: number,
  controllerPort: number,
  partitions: number,
  secured?: { readonly listener: string; readonly protocol: string; readonly settings: readonly string[] },
): string =>
  [
    'process.roles=broker,controller',
    'node.id=1',
    // A static quorum: the same config and `format` work on Kafka 3.9 and 4.x.
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=${[`PLAINTEXT://127.0.0.1:${port}`, secured?.listener, `CONTROLLER://127.0.0.1:${controllerPort}`].filter((l) => l !== undefined).join(',')}`,
    `advertised.listeners=${[`PLAINTEXT://127.0.0.1:${port}`, secured?.listener].filter((l) => l !== undefined).join(',')}`,
    'controller.listener.names=CONTROLLER',
    // The broker talks to itself over plaintext: on one loopback-only node, only the clients' listener is secured.
    'inter.broker.listener.name=PLAINTEXT',
    `listener.security.protocol.map=${['CONTROLLER:PLAINTEXT', 'PLAINTEXT:PLAINTEXT', secured?.protocol].filter((l) => l !== undefined).join(',')}`,
    ...(secured?.settings ?? []),
    `log.dirs=${join(dir, 'data')}`,
    // On one node every internal topic must have replication factor 1, or its coordinator never comes up.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    // Tests start and stop consumers constantly; the default 3 s delay would slow every join.
    'group.initial.rebalance.delay.ms=0',
    `num.partitions=${partitions}`,
    'auto.create.topics.enable=true',
    'log.flush.interval.messages=9223372036854775807',
    '',
  ].join('\n')

// The watchdog formats the storage (on first start), runs the JVM, and ends it when told to, when the JVM dies,
// or when the owning Node process is gone — whichever comes first. TERM (and the owner's death) kills the JVM
// and removes the data folder; USR1 asks Kafka for a clean shutdown and keeps the folder for a restart.
const WATCHDOG = `
set -uf
IFS='
'
if [ "$FORMAT" = 1 ]; then
  "$JAVA_BIN" $JAVA_ARGS kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$PROPERTIES" $FORMAT_ARGS >/dev/null || exit 70
fi
"$JAVA_BIN" $JAVA_ARGS kafka.Kafka "$PROPERTIES" &
jvm=$!
finish() { kill -KILL "$jvm" 2>/dev/null; wait "$jvm" 2>/dev/null; rm -rf "$DATA_DIR"; exit 0; }
halt() { kill -TERM "$jvm" 2>/dev/null; wait "$jvm" 2>/dev/null; exit 0; }
trap finish TERM INT HUP
trap halt USR1
while kill -0 "$OWNER_PID" 2>/dev/null && kill -0 "$jvm" 2>/dev/null; do
  sleep 1 &
  wait $!
done
finish
`

const keepLastLines = (child: ChildProcess, limit: number): (() => string[]) => {
  const lines: string[] = []
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue
      lines.push(line)
      if (lines.length > limit) lines.shift()
    }
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  return () => [...lines]
}

const once = (fn: () => Promise<void>): (() => Promise<void>) => {
  let running: Promise<void> | undefined
  return () => {
    running ??= fn()
    return running
  }
}
