/**
 * One consumer-group member as a process of its own, for B5: `node --import tsx bench/lib/memberProcess.ts
 * <config.json>`. It runs attendancePipeline on the config file (the documented format) and reports its
 * assignments on stdout as JSON lines, which the CLI's logs do not carry (they give counts, not partitions).
 * SIGTERM stops it cleanly; B5 kills one with SIGKILL.
 */
import { readFileSync } from 'node:fs'
import { isLeft } from 'fp-ts/lib/Either.js'
import { resolvePipelineConfig } from '../../src/config/pipelineConfig.js'
import { attendancePipeline } from '../../src/streams/attendancePipeline.js'

export interface MemberReport {
  readonly type: 'assigned' | 'stopped'
  readonly at: number
  readonly partitions?: readonly number[]
}

const path = process.argv[2]
if (path === undefined) throw new Error('usage: memberProcess.ts <config.json>')
const resolved = resolvePipelineConfig(JSON.parse(readFileSync(path, 'utf8')))
if (isLeft(resolved)) throw new Error(`bad config: ${resolved.left.join('; ')}`)
// Warnings and errors on stderr (the bench's own stderr): a stalled partition or a failing member must show.
const stderrLine =
  (level: string) =>
  (message: string, fields?: Record<string, unknown>): void => {
    process.stderr.write(`[member ${process.pid}] ${level} ${message} ${JSON.stringify(fields ?? {})}\n`)
  }
const pipeline = attendancePipeline(resolved.right, {
  logger: { info: () => undefined, warn: stderrLine('warn'), error: stderrLine('error') },
})
const report = (r: MemberReport) => process.stdout.write(`${JSON.stringify(r)}\n`)
pipeline.events.subscribe((event) => {
  if (event.type === 'assigned') {
    report({ type: 'assigned', at: Date.now(), partitions: event.partitions.map((p) => p.partition) })
  }
})
process.once('SIGTERM', () => {
  void pipeline.stop().then(() => {
    report({ type: 'stopped', at: Date.now() })
    process.exit(0)
  })
})
pipeline.done.catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
