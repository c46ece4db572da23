#!/usr/bin/env node
// `npm run chaos`: the full chaos test of issue 12 (more records, a longer chaos, several rounds), the scale-out
// test, and 60 s of OAuth tokens expiring every 5 s (issue 15), on the suite's own broker. CHAOS_SEED=<seed> replays a round's inputs, kills and faults; CHAOS_ROUNDS=<n>
// changes how many rounds run. Extra arguments go to vitest (e.g. `npm run chaos -- -t scale-out`).
import { spawnSync } from 'node:child_process'
import { ensureInstalled } from './ensureInstalled.mjs'

ensureInstalled()
const result = spawnSync(
  'npx',
  [
    'vitest',
    'run',
    '--project',
    'integration',
    'test/chaos/',
    'test/accounts/oauthRefresh.int.test.ts',
    ...process.argv.slice(2),
  ],
  {
    stdio: 'inherit',
    env: { ...process.env, CHAOS: 'full' },
  },
)
process.exit(result.status ?? 1)
