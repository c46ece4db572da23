#!/usr/bin/env node
// `npm test`: everything a fresh clone needs, then every check. A second run downloads nothing: npm runs only
// when the lock file changed, and the Kafka jars and the second Node stay cached in .cache/ (see
// src/testing/kafka/kafkaJars.ts and scripts/ensureNode.mjs).
//
// Lint and type-check run once; the unit and integration tests run on this Node and again on Node 24 (the
// README promises both; the machine's own Node may be either), the benchmark smoke run only on the first.
// Arguments go to vitest on both runs.
import { spawnSync } from 'node:child_process'
import { delimiter, dirname } from 'node:path'
import { ensureInstalled } from './ensureInstalled.mjs'
import { ensureNodeBinary, NODE_24 } from './ensureNode.mjs'

const step = (title, command, args, env = process.env) => {
  const started = Date.now()
  console.log(`\n▶ ${title}: ${command} ${args.join(' ')}`)
  const result = spawnSync(command, args, { stdio: 'inherit', env })
  if (result.status !== 0) {
    console.error(`✖ ${title} failed (exit ${result.status ?? result.signal})`)
    process.exit(result.status ?? 1)
  }
  console.log(`✔ ${title} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
}

const vitestArgs = ['node_modules/vitest/vitest.mjs', 'run', ...process.argv.slice(2)]

ensureInstalled()
step('lint', 'npx', ['biome', 'check', '.'])
step('type-check', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'])
step(`unit and integration tests on Node ${process.versions.node}`, process.execPath, vitestArgs)
if (process.versions.node.split('.')[0] !== NODE_24.split('.')[0]) {
  const node24 = ensureNodeBinary(NODE_24)
  // First on PATH too, so whatever a test starts by name (`npx tsx …`) runs on the same Node.
  const env = { ...process.env, PATH: `${dirname(node24)}${delimiter}${process.env.PATH ?? ''}` }
  // The benchmark scripts' smoke run (a minute of the budget) runs once, on this Node: it keeps the scripts from
  // rotting, and every product path it drives is tested on both Nodes by the other files.
  step(
    `unit and integration tests on Node ${NODE_24}`,
    node24,
    [...vitestArgs, '--exclude', 'test/bench/**'],
    env,
  )
}
