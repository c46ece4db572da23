import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A member started as `attendance-stream run --config <file>` in a child process, as an operator would. */
export interface MemberProcess {
  readonly child: ChildProcess
  /** Everything it wrote to stderr so far (its JSON log lines). */
  readonly output: () => string
  /** Resolves with the exit code (or the signal's name) when it ends. */
  readonly exited: Promise<number | string>
}

export const writeConfigFile = (config: unknown): string => {
  const dir = mkdtempSync(join(tmpdir(), 'attendance-stream-config-'))
  const file = join(dir, 'config.json')
  writeFileSync(file, JSON.stringify(config, null, 2))
  return file
}

export const startMember = (configFile: string, env: NodeJS.ProcessEnv = {}): MemberProcess => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'run', '--config', configFile],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8')
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8')
  })
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'))
  })
  return { child, output: () => output, exited }
}
