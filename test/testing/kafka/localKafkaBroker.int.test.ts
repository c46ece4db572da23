import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { brokerDataDirs, brokerDataDirsOwnedBy } from '../../support/terminalProcess.js'

// A second broker, in a child process that plays the role of a test run or the demo, so the test can end that
// process the ways a real run ends: by finishing, or by being killed.
const BROKER_SCRIPT = `
import { startLocalKafkaBroker } from './src/testing/kafka/index.js'
const broker = await startLocalKafkaBroker()
console.log('DATA ' + broker.brokers[0])
if (process.env.STOP_ON_SIGINT) {
  // As the CLI does: on Ctrl-C our clients drain first (here: one metadata request), the broker goes last.
  process.once('SIGINT', async () => {
    const { waitForMetadata } = await import('./src/testing/kafka/index.js')
    await waitForMetadata(broker.brokers, 10_000)
    console.log('ALIVE AFTER SIGINT')
    await broker.stop()
    process.exit(130)
  })
  setInterval(() => {}, 1000)
} else if (process.env.STOP_AT_ONCE) {
  await broker.stop()
  console.log('STOPPED')
} else {
  setInterval(() => {}, 1000)
}
`

const runBrokerProcess = (mode: 'STOP_AT_ONCE' | 'KEEP_RUNNING' | 'STOP_ON_SIGINT') => {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', BROKER_SCRIPT], {
    env: { ...process.env, [mode]: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own, like a command started in a terminal, so the test can Ctrl-C the group.
    detached: true,
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8')
  })
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? '')),
  )
  return { child, output: () => output, exited }
}

const waitFor = async (condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await condition()) return true
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return false
}

describe('the embedded Kafka broker process', () => {
  it('stop() ends the JVM and removes its folder, even when nothing else keeps Node alive', async () => {
    const run = runBrokerProcess('STOP_AT_ONCE')
    expect(await run.exited).toBe(0)
    expect(run.output()).toContain('STOPPED')
    expect(await brokerDataDirsOwnedBy(new Set([run.child.pid as number]))).toEqual([])
  })

  it('is stopped and its folder removed when the process that started it is killed with SIGKILL', async () => {
    const run = runBrokerProcess('KEEP_RUNNING')
    expect(await waitFor(() => run.output().includes('DATA '), 120_000)).toBe(true)
    const started = await brokerDataDirsOwnedBy(new Set([run.child.pid as number]))
    if (started.length !== 1) run.child.kill('SIGKILL') // not left running when the test fails here
    expect(started).toHaveLength(1)
    const dir = started[0] as string
    expect(existsSync(dir)).toBe(true)

    run.child.kill('SIGKILL')
    await run.exited
    // The watchdog polls its owner once a second.
    expect(
      await waitFor(async () => !existsSync(dir) && !(await brokerDataDirs()).includes(dir), 15_000),
    ).toBe(true)
  })

  it('outlives a Ctrl-C to the terminal process group, until the process that started it stops it', async () => {
    const run = runBrokerProcess('STOP_ON_SIGINT')
    expect(await waitFor(() => run.output().includes('DATA '), 120_000)).toBe(true)
    const [dir] = await brokerDataDirsOwnedBy(new Set([run.child.pid as number]))
    expect(dir).toBeDefined()

    // What a terminal does on Ctrl-C: SIGINT to every process of the foreground group.
    process.kill(-(run.child.pid as number), 'SIGINT')
    expect(await run.exited).toBe(130)
    expect(run.output()).toContain('ALIVE AFTER SIGINT')
    expect(existsSync(dir as string)).toBe(false)
    expect(await brokerDataDirs()).not.toContain(dir)
  })
})
