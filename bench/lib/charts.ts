import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ScenarioResult } from './scenario.js'

/** Hand-written SVG charts of B2 and B3 (no dependency): a few axes, bars and polylines. */

const W = 640
const H = 320
const M = { top: 36, right: 20, bottom: 44, left: 56 }
const PW = W - M.left - M.right
const PH = H - M.top - M.bottom

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')
const text = (x: number, y: number, s: string, extra = '') =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${extra}>${escapeXml(s)}</text>`

const frame = (title: string, body: string[]) =>
  [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    text(W / 2, 20, title, 'text-anchor="middle" font-size="14" font-weight="bold"'),
    ...body,
    '</svg>',
  ].join('\n')

/** A y axis from 0 to `max` with about five ticks, and its grid lines. */
const yAxis = (max: number, label: string) => {
  const step = niceStep(max / 5)
  const out = [`<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + PH}" stroke="black"/>`]
  for (let v = 0; v <= max + 1e-9; v += step) {
    const y = M.top + PH - (v / max) * PH
    out.push(
      `<line x1="${M.left}" y1="${y.toFixed(1)}" x2="${M.left + PW}" y2="${y.toFixed(1)}" stroke="#ddd"/>`,
    )
    out.push(text(M.left - 6, y + 4, String(Math.round(v * 100) / 100), 'text-anchor="end"'))
  }
  out.push(
    text(14, M.top + PH / 2, label, `text-anchor="middle" transform="rotate(-90 14 ${M.top + PH / 2})"`),
  )
  return out
}

const niceStep = (raw: number) => {
  const p = 10 ** Math.floor(Math.log10(raw))
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p
}

const legend = (items: readonly [string, string][]) =>
  items.flatMap(([color, label], i) => [
    `<rect x="${M.left + 10 + i * 170}" y="${H - 16}" width="12" height="12" fill="${color}"/>`,
    text(M.left + 26 + i * 170, H - 6, label),
  ])

interface B2Point {
  readonly offered: number
  readonly inputsPerRequest: number
  readonly bestInputsPerRequest: number
  readonly p50Ms: number
  readonly p99Ms: number
}

/** Grouped bars per offered rate: two series side by side. */
const groupedBars = (
  title: string,
  yLabel: string,
  groups: readonly string[],
  series: readonly { color: string; label: string; values: readonly number[] }[],
  limit?: { value: number; label: string },
) => {
  const max = Math.max(...series.flatMap((s) => s.values), limit?.value ?? 0) * 1.15 || 1
  const body = yAxis(max, yLabel)
  const groupWidth = PW / groups.length
  const barWidth = (groupWidth * 0.6) / series.length
  groups.forEach((g, gi) => {
    const x0 = M.left + gi * groupWidth + groupWidth * 0.2
    series.forEach((s, si) => {
      const v = s.values[gi] ?? 0
      const h = (v / max) * PH
      const x = x0 + si * barWidth
      body.push(
        `<rect x="${x.toFixed(1)}" y="${(M.top + PH - h).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${s.color}"/>`,
      )
      body.push(text(x + barWidth / 2, M.top + PH - h - 4, String(v), 'text-anchor="middle" font-size="10"'))
    })
    body.push(text(M.left + gi * groupWidth + groupWidth / 2, M.top + PH + 16, g, 'text-anchor="middle"'))
  })
  if (limit !== undefined) {
    const y = M.top + PH - (limit.value / max) * PH
    body.push(
      `<line x1="${M.left}" y1="${y.toFixed(1)}" x2="${M.left + PW}" y2="${y.toFixed(1)}" stroke="#c00" stroke-dasharray="6 4"/>`,
    )
    body.push(text(M.left + PW - 4, y - 4, limit.label, 'text-anchor="end" fill="#c00"'))
  }
  body.push(...legend(series.map((s) => [s.color, s.label] as [string, string])))
  return frame(title, body)
}

export const b2Charts = (points: readonly B2Point[], maxWaitMs: number): Record<string, string> => {
  const groups = points.map((p) => `${p.offered.toLocaleString('en-US')} records/s`)
  return {
    'b2-inputs-per-request.svg': groupedBars(
      'B2: inputs per request vs the best possible',
      'inputs per request',
      groups,
      [
        { color: '#2b6cb0', label: 'attendance-stream', values: points.map((p) => p.inputsPerRequest) },
        { color: '#a0aec0', label: 'best possible', values: points.map((p) => p.bestInputsPerRequest) },
      ],
    ),
    'b2-latency.svg': groupedBars(
      'B2: latency, input Kafka timestamp → outcome record',
      'ms',
      groups,
      [
        { color: '#38a169', label: 'p50', values: points.map((p) => p.p50Ms) },
        { color: '#dd6b20', label: 'p99', values: points.map((p) => p.p99Ms) },
      ],
      { value: maxWaitMs + 500, label: `target p99 ≤ ${maxWaitMs + 500} ms` },
    ),
  }
}

/** Requests in the rolling 10-s window ending at each request, over time, against the limit and the budget. */
export const b3Chart = (
  windows: readonly (readonly [number, number])[],
  limit: number,
  budget: number,
): string => {
  const maxX = Math.max(10, ...windows.map(([t]) => t))
  const maxY = Math.max(limit, ...windows.map(([, c]) => c)) * 1.15
  const x = (t: number) => M.left + (t / maxX) * PW
  const y = (c: number) => M.top + PH - (c / maxY) * PH
  const body = yAxis(maxY, 'requests in the 10-s window')
  body.push(`<line x1="${M.left}" y1="${M.top + PH}" x2="${M.left + PW}" y2="${M.top + PH}" stroke="black"/>`)
  for (let t = 0; t <= maxX; t += 10) body.push(text(x(t), M.top + PH + 16, `${t}`, 'text-anchor="middle"'))
  body.push(
    text(M.left + PW / 2, M.top + PH + 32, 'seconds since the pipeline joined', 'text-anchor="middle"'),
  )
  for (const [value, label, color] of [
    [limit, `HubSpot limit ${limit}`, '#c00'],
    [budget, `budget ${budget} (headers less 5 %)`, '#dd6b20'],
  ] as const) {
    body.push(
      `<line x1="${M.left}" y1="${y(value).toFixed(1)}" x2="${M.left + PW}" y2="${y(value).toFixed(1)}" stroke="${color}" stroke-dasharray="6 4"/>`,
    )
    body.push(text(M.left + PW - 4, y(value) - 4, label, `text-anchor="end" fill="${color}"`))
  }
  const points = windows.map(([t, c]) => `${x(t).toFixed(1)},${y(c).toFixed(1)}`).join(' ')
  body.push(`<polyline points="${points}" fill="none" stroke="#2b6cb0" stroke-width="1.5"/>`)
  body.push(...legend([['#2b6cb0', 'rolling window at each request']]))
  return frame('B3: requests per rolling 10-s window vs the limit', body)
}

interface B6Window {
  readonly window: number
  readonly requests: number
  readonly inputsPerRequest: number
}

/** Requests per 10-s window (bars, against the limit) and inputs per request in each (line, right scale 0–100). */
export const b6Chart = (windows: readonly B6Window[], limit: number): string => {
  const maxY = Math.max(limit, ...windows.map((w) => w.requests)) * 1.15
  const body = yAxis(maxY, 'requests in the window (bars)')
  const n = Math.max(1, windows.length)
  const slot = PW / n
  const y = (v: number) => M.top + PH - (v / maxY) * PH
  const yInputs = (v: number) => M.top + PH - (v / 100) * PH
  body.push(`<line x1="${M.left}" y1="${M.top + PH}" x2="${M.left + PW}" y2="${M.top + PH}" stroke="black"/>`)
  for (const w of windows) {
    const x = M.left + w.window * slot + slot * 0.15
    body.push(
      `<rect x="${x.toFixed(1)}" y="${y(w.requests).toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" height="${(M.top + PH - y(w.requests)).toFixed(1)}" fill="#2b6cb0"/>`,
    )
    body.push(text(x + slot * 0.35, M.top + PH + 16, `${w.window * 10}`, 'text-anchor="middle"'))
  }
  body.push(
    text(
      M.left + PW / 2,
      M.top + PH + 32,
      'seconds since the first request (10-s windows)',
      'text-anchor="middle"',
    ),
  )
  body.push(
    `<line x1="${M.left}" y1="${y(limit).toFixed(1)}" x2="${M.left + PW}" y2="${y(limit).toFixed(1)}" stroke="#c00" stroke-dasharray="6 4"/>`,
  )
  body.push(text(M.left + PW - 4, y(limit) - 4, `HubSpot limit ${limit}`, 'text-anchor="end" fill="#c00"'))
  const points = windows
    .map(
      (w) => `${(M.left + w.window * slot + slot / 2).toFixed(1)},${yInputs(w.inputsPerRequest).toFixed(1)}`,
    )
    .join(' ')
  body.push(`<polyline points="${points}" fill="none" stroke="#dd6b20" stroke-width="2"/>`)
  for (const w of windows) {
    body.push(
      text(
        M.left + w.window * slot + slot / 2,
        yInputs(w.inputsPerRequest) - 6,
        String(w.inputsPerRequest),
        'text-anchor="middle" font-size="10" fill="#dd6b20"',
      ),
    )
  }
  body.push(
    ...legend([
      ['#2b6cb0', 'requests per window'],
      ['#dd6b20', 'inputs per request (0–100)'],
    ]),
  )
  return frame('B6: a 60,000-record backfill at the limit', body)
}

/** Writes the charts of the scenarios that ran into `dir`; returns the files written. */
export const writeCharts = (results: readonly ScenarioResult[], dir: string): string[] => {
  const files: Record<string, string> = {}
  const b2 = results.find((r) => r.id === 'B2')
  if (b2 !== undefined) {
    Object.assign(files, b2Charts(b2.data['points'] as B2Point[], Number(b2.setup['maxWaitMs'])))
  }
  const b3 = results.find((r) => r.id === 'B3')
  if (b3 !== undefined) {
    files['b3-rate-limit-windows.svg'] = b3Chart(
      b3.data['windows'] as [number, number][],
      Number(b3.setup['simulatorLimitPer10s']),
      Number(b3.setup['budgetFromHeaders']),
    )
  }
  const b6 = results.find((r) => r.id === 'B6')
  if (b6 !== undefined) {
    files['b6-backfill-windows.svg'] = b6Chart(
      b6.data['windows'] as B6Window[],
      Number(b6.setup['simulatorLimitPer10s']),
    )
  }
  mkdirSync(dir, { recursive: true })
  return Object.entries(files).map(([name, svg]) => {
    const file = join(dir, name)
    writeFileSync(file, `${svg}\n`)
    return file
  })
}
