import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { SinkMetrics } from '../../src/sinks/sinkMetrics.js'
import { newCounters, registerPipelineMetrics } from '../../src/streams/pipelineMetrics.js'

describe('registerPipelineMetrics', () => {
  it('publishes the counters and the sink metrics as read at scrape time, in Prometheus text format', async () => {
    const registry = new Registry()
    const counters = newCounters()
    const sink = new SinkMetrics()
    registerPipelineMetrics(registry, () => counters, sink)

    counters.recordsIn = 1_200
    counters.results = 1_100
    counters.errors = 40
    counters.errorsByCode = { INVALID_JSON: 30, HUBSPOT_REJECTED: 10 }
    counters.inFlight = 60
    counters.paused = true
    counters.assignedPartitions = 3
    sink.record({ _tag: 'request', account: 'default', outcome: 'success', inputs: 90, latencyMs: 12 })
    sink.record({ _tag: 'request', account: 'default', outcome: 'success', inputs: 10, latencyMs: 8 })
    sink.record({ _tag: 'rateLimited', account: 'default', policy: 'TEN_SECONDLY_ROLLING' })
    sink.record({ _tag: 'retry', account: 'default' })

    const text = await registry.metrics()
    const line = (prefix: string) => text.split('\n').find((l) => l.startsWith(prefix))
    expect(line('attendance_records_in_total ')).toBe('attendance_records_in_total 1200')
    expect(line('attendance_outcomes_total{kind="result"')).toBe(
      'attendance_outcomes_total{kind="result",code=""} 1100',
    )
    expect(line('attendance_outcomes_total{kind="error",code="INVALID_JSON"}')).toMatch(/ 30$/)
    expect(line('attendance_records_in_flight ')).toBe('attendance_records_in_flight 60')
    expect(line('attendance_consumer_paused ')).toBe('attendance_consumer_paused 1')
    expect(line('attendance_partitions_assigned ')).toBe('attendance_partitions_assigned 3')
    expect(line('attendance_hubspot_requests{account="default",outcome="success"}')).toMatch(/ 2$/)
    expect(line('attendance_hubspot_inputs_per_request{account="default"}')).toMatch(/ 50$/)
    expect(line('attendance_hubspot_rate_limited{account="default",policy="TEN_SECONDLY_ROLLING"}')).toMatch(
      / 1$/,
    )
    expect(line('attendance_hubspot_retries{account="default"}')).toMatch(/ 1$/)

    counters.recordsIn = 1_300 // a later scrape sees the new value
    expect((await registry.metrics()).includes('attendance_records_in_total 1300')).toBe(true)
  })
})
