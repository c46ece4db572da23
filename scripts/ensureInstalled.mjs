// Installs the npm dependencies when they are missing or older than the lock file, so every top-level
// command (test, demo, bench) works on a fresh clone. Node built-ins only: it runs before anything is installed.
import { spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'

export const ensureInstalled = () => {
  const installed = 'node_modules/.package-lock.json'
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync('package-lock.json').mtimeMs) return
  console.log('▶ installing dependencies: npm ci')
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

/** Runs a TypeScript entry point with tsx, passing this process's arguments and exit code through. */
export const runTypeScript = (entry, args) => {
  const result = spawnSync('npx', ['tsx', entry, ...args], { stdio: 'inherit' })
  process.exit(result.status ?? 1)
}
