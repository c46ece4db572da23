// Installs the npm dependencies when they are missing or older than the lock file, so every top-level
// command (test, demo, bench) works on a fresh clone. Node built-ins only: it runs before anything is installed.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'

export const ensureInstalled = () => {
  const installed = 'node_modules/.package-lock.json'
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync('package-lock.json').mtimeMs) return
  // stderr: stdout belongs to the command's own output (`npm run --silent demo -- --json | jq`).
  console.error('▶ installing dependencies: npm ci')
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: ['ignore', 2, 2] })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

/**
 * Runs a TypeScript entry point with tsx in a child Node, passing this process's arguments and exit code
 * through. A terminal's Ctrl-C reaches the child directly (same process group), so this wrapper ignores SIGINT
 * and waits for the child's clean stop instead of dying first and handing the prompt back while the child
 * still writes (npm forwards its SIGINT to us too: passing that on would be the child's second, "exit now",
 * signal). SIGTERM, which no terminal sends to a whole group, is passed on.
 */
export const runTypeScript = (entry, args) => {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { stdio: 'inherit' })
  process.on('SIGINT', () => undefined)
  process.on('SIGTERM', () => child.kill('SIGTERM'))
  child.once('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)))
}
