import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'

/**
 * A command started as a terminal starts it: in a process group of its own, so the test can press "Ctrl-C"
 * — SIGINT to every process of the group at once, which is what a terminal does.
 */
export interface TerminalProcess {
  readonly child: ChildProcess
  /** stdout and stderr so far, interleaved. */
  readonly output: () => string
  readonly stdout: () => string
  /** The exit code (or signal name) of the command itself. */
  readonly exited: Promise<number | string>
  /** SIGINT to the whole group, as Ctrl-C in a terminal. */
  ctrlC(): void
  /** Resolves true once `text` has been printed, false after `timeoutMs`. */
  printed(text: string | RegExp, timeoutMs?: number): Promise<boolean>
  /** True while any process of the group is alive (a survivor could still print to the terminal). */
  groupAlive(): boolean
}

export const startInTerminal = (
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): TerminalProcess => {
  const child = spawn(command, [...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let output = ''
  let stdout = ''
  const waiting = new Set<() => void>()
  const collect = (chunk: Buffer, toStdout: boolean) => {
    const text = chunk.toString('utf8')
    output += text
    if (toStdout) stdout += text
    for (const wake of waiting) wake()
  }
  child.stdout?.on('data', (chunk: Buffer) => collect(chunk, true))
  child.stderr?.on('data', (chunk: Buffer) => collect(chunk, false))
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  )
  const pgid = child.pid as number
  return {
    child,
    output: () => output,
    stdout: () => stdout,
    exited,
    ctrlC: () => process.kill(-pgid, 'SIGINT'),
    printed: (text, timeoutMs = 180_000) =>
      new Promise((resolve) => {
        const matches = () => (typeof text === 'string' ? output.includes(text) : text.test(output))
        if (matches()) return resolve(true)
        const timer = setTimeout(() => finish(false), timeoutMs)
        const check = () => {
          if (matches()) finish(true)
        }
        const finish = (result: boolean) => {
          clearTimeout(timer)
          waiting.delete(check)
          resolve(result)
        }
        waiting.add(check)
        void exited.then(() => finish(matches()))
      }),
    groupAlive: () => {
      try {
        process.kill(-pgid, 0)
        return true
      } catch {
        return false
      }
    },
  }
}

/** The data folders of running embedded brokers, read from the JVMs' command lines. */
export const brokerDataDirs = async (): Promise<string[]> => {
  const ps = spawn('ps', ['-eo', 'args'], { stdio: ['ignore', 'pipe', 'ignore'] })
  let text = ''
  ps.stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8')
  })
  await new Promise((resolve) => ps.once('exit', resolve))
  return [...text.matchAll(/(\/\S*attendance-stream-kafka-[^/\s]+)\/server\.properties/g)].map(
    (m) => m[1] as string,
  )
}

/** The data folders of the embedded brokers started by a process of the group `pgid`. */
export const brokerDataDirsOfGroup = async (pgid: number): Promise<string[]> => {
  const rows = await processes()
  return brokerDataDirsOwnedBy(new Set(rows.filter((row) => row.pgid === pgid).map((row) => row.pid)), rows)
}

/**
 * The data folders of the embedded brokers whose owner (the Node process that started them, the JVM's
 * OWNER_PID set by localKafkaBroker.ts) is one of `owners`, alive or not: brokers of other test runs on the same
 * machine do not count.
 */
export const brokerDataDirsOwnedBy = async (
  owners: ReadonlySet<number>,
  rows?: readonly ProcessRow[],
): Promise<string[]> => {
  const dirs: string[] = []
  for (const { pid, args } of rows ?? (await processes())) {
    const dir = /(\/\S*attendance-stream-kafka-[^/\s]+)\/server\.properties/.exec(args)?.[1]
    if (dir === undefined || !args.includes('kafka.Kafka')) continue
    try {
      const owner = /(?:^|\0)OWNER_PID=(\d+)/.exec(readFileSync(`/proc/${pid}/environ`, 'utf8'))?.[1]
      if (owners.has(Number(owner))) dirs.push(dir)
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return dirs
}

interface ProcessRow {
  readonly pid: number
  readonly pgid: number
  readonly args: string
}

const processes = async (): Promise<ProcessRow[]> => {
  const ps = spawn('ps', ['-eo', 'pid=,pgid=,args='], { stdio: ['ignore', 'pipe', 'ignore'] })
  let text = ''
  ps.stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8')
  })
  await new Promise((resolve) => ps.once('exit', resolve))
  return text
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m) => m !== null)
    .map((m) => ({ pid: Number(m[1]), pgid: Number(m[2]), args: m[3] as string }))
}
