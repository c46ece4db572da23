import { spawnSync } from 'node:child_process'
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
})
