import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { writeConfigFile } from '../support/memberProcess.js'

const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'], ...env },
    timeout: 30_000,
  })

describe('attendance-stream run', () => {
  it('exits 2 listing every problem of a bad config file, before connecting to anything, without the token', () => {
    const file = writeConfigFile({
      kafka: {
        brokers: [],
        groupId: '',
        inputTopics: ['scans'],
        resultsTopic: 'scans',
        errorsTopic: 'bad topic!',
      },
      hubspot: { accounts: { default: { token: 'pat-na1-secret-0000', requestsPer10s: -5 } } },
      batching: { maxBatchSzie: 10 },
    })
    const result = run(['run', '--config', file])
    expect(result.status).toBe(2)
    const lines = result.stderr.trim().split('\n')
    expect(lines[0]).toMatch(/^attendance-stream: invalid configuration \(\d+ problems\):$/)
    const problems = lines.slice(1).map((line) => line.replace(/^ {2}- /, ''))
    for (const path of [
      'kafka.brokers',
      'kafka.groupId',
      'kafka.errorsTopic',
      'hubspot.accounts.default.requestsPer10s',
      'batching.maxBatchSzie',
    ]) {
      expect(
        problems.some((p) => p.startsWith(`${path}:`)),
        `${path} in ${problems.join(' | ')}`,
      ).toBe(true)
    }
    expect(result.stderr).not.toContain('pat-na1-secret-0000')
  })

  it('exits 2 naming the file when the config file does not exist', () => {
    const result = run(['run', '--config', '/nonexistent/attendance.json'])
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('/nonexistent/attendance.json')
  })

  it('exits 2 on an unknown command and prints the usage', () => {
    const result = run(['frobnicate'])
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('unknown command "frobnicate"')
    expect(result.stderr).toContain('attendance-stream run [--config file.json]')
  })

  it.each([
    [['run', '--conf', 'x.json'], "attendance-stream run: Unknown option '--conf'"],
    [['run', 'config.json'], "attendance-stream run: Unexpected argument 'config.json'"],
    [
      ['run', '--partitions', '3'],
      'attendance-stream run: --partitions and --replication-factor only apply with --create-topics',
    ],
  ])('a usage error (%j) is one line, the command usage, exit 2, no stack', (args, line) => {
    const result = run(args)
    expect(result.status).toBe(2)
    const [first, blank, usage] = result.stderr.split('\n')
    expect(first?.startsWith(line), first).toBe(true)
    expect(blank).toBe('')
    expect(usage).toMatch(/^usage: attendance-stream run \[--config file\.json\]/)
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })

  it('says "1 problem", not "1 problems"', () => {
    const file = writeConfigFile({
      kafka: { brokers: ['k:9092'], groupId: 'g', inputTopics: ['in'], resultsTopic: 'r', errorsTopic: 'e' },
      hubspot: { accounts: { default: { token: 'pat-na1-secret-0000', requestsPer10s: -5 } } },
    })
    const result = run(['run', '--config', file])
    expect(result.status).toBe(2)
    expect(result.stderr.split('\n')[0]).toBe('attendance-stream: invalid configuration (1 problem):')
  })
})

describe('attendance-stream --version and --help', () => {
  it.each([['--version'], ['-v']])('%s prints the package version', (flag) => {
    const result = run([flag])
    expect(result.status).toBe(0)
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }
    expect(result.stdout).toBe(`${version}\n`)
  })

  it.each([
    ['run', 'usage: attendance-stream run '],
    ['sandbox', 'usage: attendance-stream sandbox '],
    ['demo', 'attendance-stream demo — '],
  ])("%s --help prints that command's usage", (command, start) => {
    const result = run([command, '--help'])
    expect(result.status).toBe(0)
    expect(result.stdout.startsWith(start), result.stdout).toBe(true)
  })
})
