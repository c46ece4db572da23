#!/usr/bin/env node
// `npm run demo [-- flags]`: installs what is missing, then runs `attendance-stream demo` from the sources.
import { ensureInstalled, runTypeScript } from './ensureInstalled.mjs'

ensureInstalled()
runTypeScript('src/cli/main.ts', ['demo', ...process.argv.slice(2)])
