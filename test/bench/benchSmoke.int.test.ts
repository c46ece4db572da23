import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'

interface Row {
  readonly metric: string
  readonly value: number
  readonly unit: string
  readonly met?: boolean
}
interface Report {
  readonly mode: string
  readonly machine: { readonly cpus: number; readonly node: string }
  readonly scenarios: Record<
    string,
    {
      readonly rows: readonly Row[]
      readonly setup: Record<string, unknown>
      readonly data: Record<string, unknown>
    }
  >
  readonly failures: readonly unknown[]
}

const figure = (rows: readonly Row[], metric: string | RegExp): number => {
  const row = rows.find((r) => (typeof metric === 'string' ? r.metric === metric : metric.test(r.metric)))
  if (row === undefined) throw new Error(`no row ${metric}`)
  return row.value
}

// `npm run bench -- --smoke` is part of the test run, so the benchmark scripts cannot rot between full runs.
describe('bench/run.ts --smoke', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('runs every scenario on the test broker and writes sane figures as JSON', () => {
    const file = join(dir, 'smoke.json')
    const child = spawnSync('npx', ['tsx', 'bench/run.ts', '--smoke', '--json', file], {
      encoding: 'utf8',
      env: { ...process.env, KAFKA_BROKERS: inject('kafkaBrokers').join(',') },
      // B5 runs two phases of member processes (a kill, then a scale-out): on 2 busy cores that takes a while.
      timeout: 300_000,
    })
    expect(child.status, child.stderr).toBe(0)
    expect(child.stdout).toMatch(/\| B1 +\| \(a\) ceiling/)
    const report = JSON.parse(readFileSync(file, 'utf8')) as Report
    expect(report.mode).toBe('smoke')
    expect(report.failures).toEqual([])
    expect(Object.keys(report.scenarios).sort()).toEqual(['B1', 'B2', 'B3', 'B4', 'B5', 'B6'])
    const rows = (id: string) => report.scenarios[id]?.rows ?? []

    for (const metric of [
      '(a) ceiling',
      "(a') consume",
      '(b) attendance-stream',
      '(c) SDK peer',
      "b/a'",
      'b/c',
    ]) {
      expect(figure(rows('B1'), new RegExp(`^${metric.replace(/[()/]/g, '\\$&')}`))).toBeGreaterThan(0)
    }
    expect(figure(rows('B1'), /attendance-stream \/ SDK peer$/)).toBeGreaterThan(1)
    const capacity = Number(report.scenarios['B2']?.setup['measuredCapacity'])
    expect(capacity).toBeGreaterThan(0)
    for (const rate of [200, 2000, Math.max(1, Math.round(capacity * 0.8))]) {
      expect(figure(rows('B2'), `@${rate}/s inputs per request / best`)).toBeGreaterThan(0)
      const p50 = figure(rows('B2'), `@${rate}/s latency p50`)
      expect(p50).toBeGreaterThan(0)
      expect(figure(rows('B2'), `@${rate}/s latency p99`)).toBeGreaterThanOrEqual(p50)
    }
    const maxWindow = figure(rows('B3'), 'largest rolling 10-s window')
    expect(maxWindow).toBeGreaterThan(0)
    expect(maxWindow).toBeLessThanOrEqual(100)
    expect(figure(rows('B3'), 'achieved')).toBeGreaterThan(0)
    expect(figure(rows('B4'), /^RSS with .* keys open$/)).toBeGreaterThan(
      figure(rows('B4'), 'heap used before'),
    )
    expect(figure(rows('B5'), 'kill → killed partitions processed again')).toBeGreaterThan(0)
    expect(figure(rows('B5'), 'inputs without an outcome')).toBe(0)
    expect(figure(rows('B5'), 'scale-out: inputs without an outcome')).toBe(0)
    expect(figure(rows('B6'), 'error records')).toBe(0)
    expect(figure(rows('B6'), 'mean inputs per request')).toBeGreaterThan(0)
    expect(figure(rows('B6'), 'largest rolling 10-s window')).toBeLessThanOrEqual(190)
    expect(figure(rows('B6'), '429s after the first window')).toBe(0)
    const share = figure(rows('B5'), 'scale-out: duplicated share of the inputs')
    expect(share).toBeGreaterThanOrEqual(0)
    expect(share).toBeLessThanOrEqual(100)
  }, 330_000)
})
