#!/usr/bin/env node
// `npm run chaos`: the full chaos test of issue 12 (more records, a longer chaos, several rounds) and the scale-out
// test, on the suite's own broker. CHAOS_SEED=<seed> replays a round's inputs, kills and faults; CHAOS_ROUNDS=<n>
// changes how many rounds run. Extra arguments go to vitest (e.g. `npm run chaos -- -t scale-out`).
import { spawnSync } from 'node:child_process'
import { ensureInstalled } from './ensureInstalled.mjs'

ensureInstalled()
const result = spawnSync(
  'npx',
  ['vitest', 'run', '--project', 'integration', 'test/chaos/', ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    env: { ...process.env, CHAOS: 'full' },
  },
)
process.exit(result.status ?? 1)
