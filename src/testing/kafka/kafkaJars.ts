import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { AttendanceStreamError } from '../../errors.js'

const run = promisify(execFile)

/** The package root: this file sits at `src/testing/kafka/` (or `dist/testing/kafka/`) below it. */
export const packageRoot = fileURLToPath(new URL('../../../', import.meta.url))

export const brokerPomPath = join(packageRoot, 'kafka', 'pom.xml')
export const brokerLog4jPath = join(packageRoot, 'kafka', 'log4j2.xml')

/** Where fetched jars are kept between runs: `ATTENDANCE_STREAM_CACHE_DIR`, else `<package>/.cache`. */
export const defaultCacheDir = (env: NodeJS.ProcessEnv = process.env): string =>
  env['ATTENDANCE_STREAM_CACHE_DIR'] ?? join(packageRoot, '.cache')

// Written last: a folder without it is a copy that was interrupted, and is fetched again.
const COMPLETE_MARKER = '.complete'

/**
 * The folder holding every runtime jar of Apache Kafka `version` (plus one slf4j binding and log4j2), fetched
 * from Maven Central on first use with `mvn dependency:copy-dependencies` and reused by later runs.
 */
export const ensureKafkaJars = async (
  version: string,
  cacheDir: string,
  log: (line: string) => void = () => undefined,
): Promise<string> => {
  const libDir = join(cacheDir, `kafka-${version}`, 'lib')
  if (existsSync(join(libDir, COMPLETE_MARKER))) return libDir

  await requireTool('mvn', ['-v'], 'Apache Maven (to fetch the Kafka jars once)')
  const staging = `${libDir}.partial-${process.pid}`
  rmSync(staging, { recursive: true, force: true })
  mkdirSync(staging, { recursive: true })
  log(`kafka: fetching Apache Kafka ${version} jars from Maven Central into ${libDir} (once)`)
  try {
    await run(
      'mvn',
      [
        '-B',
        '-q',
        '-f',
        brokerPomPath,
        `-Dkafka.version=${version}`,
        // Pinned: the plugin version Maven picks by default is old.
        'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies',
        `-DoutputDirectory=${staging}`,
        '-DincludeScope=runtime',
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    )
  } catch (error) {
    rmSync(staging, { recursive: true, force: true })
    const output = error instanceof Error && 'stdout' in error ? String(error.stdout).slice(-2_000) : ''
    throw new AttendanceStreamError(
      'BROKER_START_FAILED',
      `could not fetch the jars of Apache Kafka ${version} with Maven; is the version served? ${output}`.trim(),
      { cause: error, context: { version } },
    )
  }
  if (!readdirSync(staging).some((name) => name.startsWith(`kafka_2.13-${version}`))) {
    throw new AttendanceStreamError('BROKER_START_FAILED', `Maven did not fetch kafka_2.13-${version}.jar`)
  }
  writeFileSync(join(staging, COMPLETE_MARKER), `${new Date().toISOString()}\n`)
  // Another process may have finished the same fetch meanwhile; either copy is complete, keep the first.
  if (existsSync(join(libDir, COMPLETE_MARKER))) {
    rmSync(staging, { recursive: true, force: true })
  } else {
    rmSync(libDir, { recursive: true, force: true })
    renameSync(staging, libDir)
  }
  return libDir
}

/** Java's major version (`17` from `openjdk version "17.0.15"`), or undefined when there is no java. */
export const javaMajorVersion = async (java = 'java'): Promise<number | undefined> => {
  try {
    const { stderr, stdout } = await run(java, ['-version'])
    const match = /version "(\d+)(?:\.(\d+))?/.exec(`${stderr}${stdout}`)
    if (match === null) return undefined
    const major = Number(match[1])
    // Java 8 and older call themselves 1.x.
    return major === 1 ? Number(match[2]) : major
  } catch {
    return undefined
  }
}

const requireTool = async (command: string, args: string[], what: string): Promise<void> => {
  try {
    await run(command, args)
  } catch {
    throw new AttendanceStreamError(
      'BROKER_START_FAILED',
      `${what} is required but \`${command}\` was not found`,
    )
  }
}
