/**
 * The HubSpot simulator in a process of its own (see simulatorProcess.ts): started with the options given as
 * JSON in argv[2], it prints one line `{"url","token"}` once listening, answers `counters` on stdin with one
 * line of counters, and stops on `stop` (or when its parent goes away).
 */
import { createInterface } from 'node:readline'
import { type HubSpotSimulatorOptions, startHubSpotSimulator } from '../../src/testing/simulator/index.js'

const options = JSON.parse(process.argv[2] ?? '{}') as HubSpotSimulatorOptions
const sim = await startHubSpotSimulator(options)
const say = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`)
say({ url: sim.url, token: sim.token })
const stop = async () => {
  await sim.stop()
  process.exit(0)
}
createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (line === 'counters') say(sim.counters())
    else if (line === 'stop') void stop()
  })
  // The parent is gone (or closed our stdin): nobody can stop us any more.
  .on('close', () => void stop())
