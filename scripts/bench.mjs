#!/usr/bin/env node
// `npm run bench [-- --smoke] [-- --json file]`: installs what is missing, then runs the benchmark suite.
import { ensureInstalled, runTypeScript } from './ensureInstalled.mjs'

ensureInstalled()
runTypeScript('bench/run.ts', process.argv.slice(2))
