#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { EXIT, runMember } from './runMember.js'

const USAGE = `usage:
  attendance-stream run [--config file.json]   run one consumer-group member until SIGTERM/SIGINT
  attendance-stream demo [flags]               the whole pipeline on an embedded broker and the simulator
                                               (attendance-stream demo --help for its flags)

Configuration: a JSON file (docs/configuration.md) with environment overrides
(KAFKA_BROKERS, KAFKA_GROUP_ID, INPUT_TOPICS, RESULTS_TOPIC, ERRORS_TOPIC, HUBSPOT_TOKEN, HUBSPOT_BASE_URL, …).
Exit codes: 0 stopped cleanly, 1 failed, 2 invalid configuration, 130 forced by a second signal.
`

const main = async (argv: string[]): Promise<number> => {
  const [command, ...rest] = argv
  switch (command) {
    case 'run': {
      const { values } = parseArgs({
        args: rest,
        options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
      })
      if (values.help === true) {
        process.stdout.write(USAGE)
        return EXIT.ok
      }
      return runMember({
        ...(values.config === undefined ? {} : { configFile: values.config }),
        env: process.env,
      })
    }
    case 'demo': {
      const { runDemo } = await import('./demo.js')
      return runDemo(rest)
    }
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE)
      return command === undefined ? EXIT.badConfig : EXIT.ok
    default:
      process.stderr.write(`attendance-stream: unknown command "${command}"\n${USAGE}`)
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
