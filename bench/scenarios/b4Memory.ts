import { spawnSync } from 'node:child_process'
import type { Scenario, ScenarioResult } from '../lib/scenario.js'
import { round } from '../lib/stats.js'

/**
 * B4: the batching operator alone (not the whole pipeline: Kafka's fetch buffers and the in-flight cap would hide
 * what keys cost) with 100,000 distinct keys open at once, in a child process with `--expose-gc` so every
 * reading follows a full collection.
 */

interface Reading {
  readonly rssMiB: number
  readonly heapUsedMiB: number
  readonly heapTotalMiB: number
}

interface ChildReport {
  readonly keys: number
  readonly baseline: Reading
  readonly open: Reading & { readonly emittedWhileOpen: number }
  readonly drained: Reading & { readonly emitted: number }
}

export const b4Memory: Scenario = {
  id: 'B4',
  title: 'Memory with 100,000 distinct keys open, and after they drain',
  run: async (context): Promise<ScenarioResult> => {
    const keys = context.smoke ? 10_000 : 100_000
    const child = spawnSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', 'bench/scenarios/b4MemoryChild.ts', String(keys)],
      { encoding: 'utf8', timeout: 300_000 },
    )
    if (child.status !== 0) throw new Error(`B4 child failed (${child.status}): ${child.stderr}`)
    const report = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '') as ChildReport
    if (report.open.emittedWhileOpen !== 0 || report.drained.emitted !== keys) {
      throw new Error(`B4: expected 0 batches while open and ${keys} after, got ${JSON.stringify(report)}`)
    }
    const aboveBaseline = report.drained.heapUsedMiB - report.baseline.heapUsedMiB
    return {
      id: 'B4',
      title: b4Memory.title,
      setup: { keys, driven: 'batchAttendance alone, maxWaitMs 600000, maxOpenBatches = keys, --expose-gc' },
      rows: [
        { metric: 'RSS before', value: round(report.baseline.rssMiB, 1), unit: 'MiB' },
        {
          metric: `RSS with ${keys.toLocaleString('en-US')} keys open`,
          value: round(report.open.rssMiB, 1),
          unit: 'MiB',
          target: '≤ 300 MiB',
          met: report.open.rssMiB <= 300,
        },
        { metric: 'heap used before', value: round(report.baseline.heapUsedMiB, 1), unit: 'MiB' },
        { metric: 'heap used with keys open', value: round(report.open.heapUsedMiB, 1), unit: 'MiB' },
        {
          metric: 'heap used after draining',
          value: round(report.drained.heapUsedMiB, 1),
          unit: 'MiB',
          target: 'baseline (± 5 MiB)',
          met: Math.abs(aboveBaseline) <= 5,
        },
        { metric: 'RSS after draining', value: round(report.drained.rssMiB, 1), unit: 'MiB' },
      ],
      data: {
        ...report,
        bytesPerOpenKey: Math.round(
          ((report.open.heapUsedMiB - report.baseline.heapUsedMiB) * 2 ** 20) / keys,
        ),
      },
    }
  },
}
