import { isRight } from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { resolvePipelineConfig } from '../../../src/config/pipelineConfig.js'
import { AttendanceStreamError } from '../../../src/errors.js'
import { resolveBatchOptions } from '../../../src/streams/batching/batchOptions.js'

describe('resolveBatchOptions', () => {
  it('fills the defaults', () => {
    const settings = resolveBatchOptions({})
    expect(settings).toMatchObject({
      maxBatchSize: 100,
      maxBatchBytes: 524_288,
      maxWaitMs: 1000,
      maxOpenBatches: 10_000,
    })
  })

  it.each([
    ['maxBatchSize', 0],
    ['maxBatchSize', 1.5],
    ['maxBatchBytes', -1],
    ['maxOpenBatches', Number.NaN],
    ['maxWaitMs', -1],
    ['maxWaitMs', Number.POSITIVE_INFINITY],
    ['maxWaitMs', 1.5],
  ])('rejects %s = %s as INVALID_CONFIG', (option, value) => {
    let thrown: unknown
    try {
      resolveBatchOptions({ [option]: value })
    } catch (err) {
      thrown = err
    }
    expect(thrown).toBeInstanceOf(AttendanceStreamError)
    expect(thrown).toMatchObject({ code: 'INVALID_CONFIG', retryable: false, context: { option, value } })
  })

  it('judges maxWaitMs by the same rule as the config (one validator)', () => {
    const base = {
      kafka: { brokers: ['k:9092'], groupId: 'g', inputTopics: ['in'], resultsTopic: 'r', errorsTopic: 'e' },
      hubspot: { accounts: { default: { token: 't' } } },
    }
    for (const maxWaitMs of [-1, 0, 1.5, 1000, Number.NaN]) {
      let operator: string | undefined
      try {
        resolveBatchOptions({ maxWaitMs })
      } catch (err) {
        operator = (err as Error).message
      }
      const config = resolvePipelineConfig({ ...base, batching: { maxWaitMs } })
      expect(operator === undefined, `maxWaitMs ${maxWaitMs}`).toBe(isRight(config))
      if (operator !== undefined)
        expect(operator).toBe(`batchAttendance: maxWaitMs must be an integer ≥ 0, got ${maxWaitMs}`)
    }
  })

  it('counts ids per subscription with a prefix, and process-wide with a random base without one', () => {
    const prefixed = resolveBatchOptions({ idPrefix: 'x-' })
    const first = prefixed.newIdSource()
    const second = prefixed.newIdSource()
    expect([first(), first(), second()]).toEqual(['x-1', 'x-2', 'x-1'])

    const random = resolveBatchOptions({})
    const a = random.newIdSource()()
    const b = random.newIdSource()()
    expect(a).toMatch(/^b-[0-9a-f]{8}-\d+$/)
    expect(b).not.toBe(a)
    expect(b.slice(0, 11)).toBe(a.slice(0, 11))
  })
})
