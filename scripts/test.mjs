#!/usr/bin/env node
// `npm test`: everything a fresh clone needs, then every check. A second run downloads nothing: npm runs only
// when the lock file changed, and the Kafka jars stay cached in .cache/ (see src/testing/kafka/kafkaJars.ts).
import { spawnSync } from 'node:child_process'
import { ensureInstalled } from './ensureInstalled.mjs'

const step = (title, command, args) => {
  const started = Date.now()
  console.log(`\n▶ ${title}: ${command} ${args.join(' ')}`)
  const result = spawnSync(command, args, { stdio: 'inherit', env: process.env })
  if (result.status !== 0) {
    console.error(`✖ ${title} failed (exit ${result.status ?? result.signal})`)
    process.exit(result.status ?? 1)
  }
  console.log(`✔ ${title} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
}

ensureInstalled()
step('lint', 'npx', ['biome', 'check', '.'])
step('type-check', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'])
step('unit and integration tests', 'npx', ['vitest', 'run', ...process.argv.slice(2)])
