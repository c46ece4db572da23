import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { HubSpotSimulatorOptions, SimulatorCounters } from '../../src/testing/simulator/index.js'

/**
 * The HubSpot simulator in a child process, for throughput figures: in production HubSpot does not run on the
 * pipeline's CPU, and in the pipeline's own process the simulator's request parsing, validation and store took
 * about a tenth of the one thread B1 measures. Only JSON-serialisable options (no functions) cross over.
 */
export interface SimulatorProcess {
  readonly url: string
  readonly token: string
  counters(): Promise<SimulatorCounters>
  stop(): Promise<void>
}

export const startSimulatorProcess = async (options: HubSpotSimulatorOptions): Promise<SimulatorProcess> => {
  // Next to this module, whatever the working directory; as TypeScript through tsx, or compiled (for profiles).
  const compiled = import.meta.url.endsWith('.js')
  const script = fileURLToPath(
    new URL(compiled ? './simulatorChild.js' : './simulatorChild.ts', import.meta.url),
  )
  const child = spawn(
    process.execPath,
    [...(compiled ? [] : ['--import', 'tsx']), script, JSON.stringify(options)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  const exited = once(child, 'exit')
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const nextLine = async (what: string): Promise<string> => {
    const line = await lines.next()
    if (line.done === true) throw new Error(`the simulator process exited before ${what}`)
    return line.value
  }
  const { url, token } = JSON.parse(await nextLine('it listened')) as { url: string; token: string }
  return {
    url,
    token,
    counters: async () => {
      child.stdin.write('counters\n')
      return JSON.parse(await nextLine('it sent its counters')) as SimulatorCounters
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.stdin.end('stop\n')
      await exited
    },
  }
}
