import type { ScenarioResult } from './scenario.js'

const format = (value: number): string =>
  Number.isInteger(value)
    ? value.toLocaleString('en-US')
    : value.toLocaleString('en-US', { maximumFractionDigits: 2 })

/** The results as a Markdown table (readable in a terminal, and pasted as is into docs/benchmarks.md). */
export const resultsTable = (results: readonly ScenarioResult[]): string => {
  const header = ['scenario', 'metric', 'value', 'unit', 'target', 'met']
  const lines = results.flatMap((r) =>
    r.rows.map((row) => [
      r.id,
      row.metric,
      format(row.value),
      row.unit,
      row.target ?? '',
      row.met === undefined ? '' : row.met ? 'yes' : 'NO',
    ]),
  )
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)))
  const render = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i === 2 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join(' | ')} |`
  return [
    render(header),
    `|${widths.map((w, i) => (i === 2 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`,
    ...lines.map(render),
  ].join('\n')
}
