#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { installKafkajsWorkarounds } from './kafkajsWorkarounds.js'
import { EXIT, runMember } from './runMember.js'
import { DEMO_USAGE, RUN_USAGE, SANDBOX_USAGE, USAGE } from './usage.js'
import { UsageError, usageErrorOf } from './usageError.js'

/** The package's version, read from the package.json two folders up (from src/cli/ and dist/cli/ alike). */
const packageVersion = (): string => {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8')
  return String((JSON.parse(text) as { version?: unknown }).version)
}

const positiveInteger = (flag: string, raw: string | undefined, fallback: number): number => {
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1 || value > 100_000) {
    throw new UsageError(`--${flag}: expected a whole number from 1 to 100000, got "${raw}"`)
  }
  return value
}

const run = async (args: string[]): Promise<number> => {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      'create-topics': { type: 'boolean' },
      partitions: { type: 'string' },
      'replication-factor': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help === true) {
    process.stdout.write(RUN_USAGE)
    return EXIT.ok
  }
  const creating = values['create-topics'] === true
  if (!creating && (values.partitions !== undefined || values['replication-factor'] !== undefined)) {
    throw new UsageError('--partitions and --replication-factor only apply with --create-topics')
  }
  return runMember({
    ...(values.config === undefined ? {} : { configFile: values.config }),
    env: process.env,
    ...(creating
      ? {
          createTopics: {
            partitions: positiveInteger('partitions', values.partitions, 3),
            replicationFactor: positiveInteger('replication-factor', values['replication-factor'], 1),
          },
        }
      : {}),
  })
}

const COMMANDS: Record<
  string,
  { readonly usage: string; readonly start: (args: string[]) => Promise<number> }
> = {
  run: { usage: RUN_USAGE, start: run },
  demo: {
    usage: DEMO_USAGE,
    start: async (args) => (await import('./demo.js')).runDemo(args),
  },
  sandbox: {
    usage: SANDBOX_USAGE,
    start: async (args) => (await import('./sandbox.js')).runSandbox(args),
  },
}

const main = async (argv: string[]): Promise<number> => {
  installKafkajsWorkarounds()
  const [command, ...rest] = argv
  if (command === '--version' || command === '-v' || command === 'version') {
    process.stdout.write(`${packageVersion()}\n`)
    return EXIT.ok
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE)
    return command === undefined ? EXIT.badConfig : EXIT.ok
  }
  const chosen = COMMANDS[command]
  if (chosen === undefined) {
    process.stderr.write(`attendance-stream: unknown command "${command}"\n${USAGE}`)
    return EXIT.badConfig
  }
  try {
    return await chosen.start(rest)
  } catch (error) {
    const usage = usageErrorOf(error)
    if (usage === undefined) throw error
    // One line and the command's usage, no stack: a typo is not a crash.
    process.stderr.write(`attendance-stream ${command}: ${usage}\n\n${chosen.usage}`)
    return EXIT.badConfig
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Messages of our errors never carry the token; a stack is enough to find the fault.
    process.stderr.write(
      `attendance-stream: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    )
    process.exit(EXIT.failed)
  },
)
