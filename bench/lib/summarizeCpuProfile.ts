/**
 * Top self-time functions of a V8 `.cpuprofile` (what `node --cpu-prof` writes), grouped by function and file:
 *   npx tsx bench/lib/summarizeCpuProfile.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[]
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

const [file, topArg] = process.argv.slice(2)
if (file === undefined) throw new Error('usage: summarizeCpuProfile.ts <file.cpuprofile> [top]')
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const selfUs = new Map<string, number>()
let totalUs = 0
profile.samples.forEach((id, i) => {
  const node = byId.get(id)
  const dt = profile.timeDeltas[i] ?? 0
  totalUs += dt
  if (node === undefined) return
  const { functionName, url, lineNumber } = node.callFrame
  const where = url.replace(/^.*\/(node_modules|src|bench)\//, '$1/').replace(/^node:/, 'node:')
  const key = `${functionName || '(anonymous)'}  ${where}${url ? `:${lineNumber + 1}` : ''}`
  selfUs.set(key, (selfUs.get(key) ?? 0) + dt)
})
const top = [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 25))
console.log(`total sampled: ${(totalUs / 1e6).toFixed(1)} s`)
for (const [key, us] of top) {
  console.log(
    `${((us / totalUs) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`,
  )
}
