import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { failure, result, skipped } from '../../src/member/outcome.js'
import type { SourceRecord } from '../../src/member/sourceRecord.js'
import { SinkMetrics } from '../../src/sinks/sinkMetrics.js'
import {
  newCounters,
  RECORD_LATENCY_BUCKETS_SECONDS,
  registerPipelineMetrics,
} from '../../src/streams/pipelineMetrics.js'

/** One sample line of the Prometheus text format: name, labels, value. */
interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

const parseSamples = (text: string): Sample[] =>
  text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
      if (match === null) throw new Error(`not a sample line: ${line}`)
      const labels = Object.fromEntries(
        [...(match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
      )
      return { name: match[1] as string, labels, value: Number(match[3]) }
    })

/** `# TYPE name type` lines, by name. */
const typesOf = (text: string): Map<string, string> =>
  new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1] as string, m[2] as string] as const))

const source = (timestamp: number, offset = '0'): SourceRecord => ({
  topic: 'badge-scans',
  partition: 0,
  offset,
  timestamp: String(timestamp),
  key: null,
  value: null,
})

const setUp = (accountLabel?: (account: string) => string) => {
  const registry = new Registry()
  const counters = newCounters()
  const sink = new SinkMetrics()
  let nowMs = 1_800_000_000_000
  const handle = registerPipelineMetrics(
    registry,
    () => counters,
    sink,
    () => [],
    {
      now: () => nowMs,
      ...(accountLabel === undefined ? {} : { accountLabel }),
    },
  )
  return {
    registry,
    counters,
    sink,
    handle,
    setNow: (ms: number) => {
      nowMs = ms
    },
    now: () => nowMs,
  }
}

describe('registerPipelineMetrics', () => {
  it('publishes the counters and the sink metrics as read at scrape time, in Prometheus text format', async () => {
    const { registry, counters, sink } = setUp()
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
    expect(line('attendance_hubspot_requests_total{account="default",outcome="success"}')).toBe(
      'attendance_hubspot_requests_total{account="default",outcome="success"} 2',
    )
    expect(
      line('attendance_hubspot_rate_limited_total{account="default",policy="TEN_SECONDLY_ROLLING"}'),
    ).toMatch(/ 1$/)
    expect(line('attendance_hubspot_rate_limited_total{account="default",policy="DAILY"}')).toMatch(/ 0$/)
    expect(line('attendance_hubspot_retries_total{account="default"}')).toBe(
      'attendance_hubspot_retries_total{account="default"} 1',
    )
    expect(line('attendance_hubspot_inputs_per_request_sum{account="default"}')).toMatch(/ 100$/)
    expect(line('attendance_hubspot_inputs_per_request_count{account="default"}')).toMatch(/ 2$/)

    counters.recordsIn = 1_300 // a later scrape sees the new value
    expect((await registry.metrics()).includes('attendance_records_in_total 1300')).toBe(true)
  })

  it('follows the conventions: counters end in _total, no means, histograms in seconds with monotonic buckets', async () => {
    const { registry, sink, handle, now } = setUp()
    sink.record({ _tag: 'request', account: 'default', outcome: 'success', inputs: 3, latencyMs: 40 })
    sink.record({ _tag: 'request', account: 'default', outcome: 'timeout', inputs: 3, latencyMs: 31_000 })
    handle.observeOutcome(result(source(now() - 700), {}))
    const text = await registry.metrics()
    const types = typesOf(text)

    const ours = [...types].filter(([name]) => name.startsWith('attendance_'))
    for (const [name, type] of ours) {
      expect.soft(name.endsWith('_total'), `${name} is a ${type}`).toBe(type === 'counter')
      expect.soft(name, 'no mean gauges').not.toMatch(/mean|_ms\b|_ms_/)
    }
    expect(types.get('attendance_hubspot_requests_total')).toBe('counter')
    expect(types.get('attendance_hubspot_retries_total')).toBe('counter')
    expect(types.get('attendance_hubspot_rate_limited_total')).toBe('counter')
    expect(types.get('attendance_hubspot_request_duration_seconds')).toBe('histogram')
    expect(types.get('attendance_record_latency_seconds')).toBe('histogram')
    expect(types.has('attendance_hubspot_latency_ms_mean')).toBe(false)

    const samples = parseSamples(text)
    const histograms = ours.filter(([, type]) => type === 'histogram').map(([name]) => name)
    expect(histograms.length).toBeGreaterThanOrEqual(3)
    for (const name of histograms) {
      const buckets = samples.filter((s) => s.name === `${name}_bucket`)
      expect(buckets.length, name).toBeGreaterThan(1)
      const bounds = buckets.map((b) => (b.labels['le'] === '+Inf' ? Infinity : Number(b.labels['le'])))
      expect(bounds, `${name}: bounds ascending`).toEqual([...bounds].sort((a, b) => a - b))
      expect(bounds.at(-1)).toBe(Infinity)
      const counts = buckets.map((b) => b.value)
      for (let i = 1; i < counts.length; i++)
        expect(counts[i], `${name}: cumulative`).toBeGreaterThanOrEqual(counts[i - 1] as number)
      expect(counts.at(-1)).toBe(samples.find((s) => s.name === `${name}_count`)?.value)
    }

    const duration = (le: string) =>
      samples.find(
        (s) => s.name === 'attendance_hubspot_request_duration_seconds_bucket' && s.labels['le'] === le,
      )?.value
    expect(duration('0.025')).toBe(0)
    expect(duration('0.05')).toBe(1)
    expect(duration('30')).toBe(1)
    expect(duration('+Inf')).toBe(2)
    expect(
      samples.find((s) => s.name === 'attendance_hubspot_request_duration_seconds_sum')?.value,
    ).toBeCloseTo(31.04)
  })

  it("measures a record's latency from its Kafka timestamp to its outcome; skipped records are not counted", async () => {
    const { registry, handle, now } = setUp()
    handle.observeOutcome(result(source(now() - 700, '1'), {}))
    handle.observeOutcome(failure(source(now() - 45_000, '2'), { code: 'HUBSPOT_REJECTED' }))
    handle.observeOutcome(skipped(source(now() - 10, '3'), 'not-ours'))
    // A producer whose clock runs ahead: counted as 0 s, not lost.
    handle.observeOutcome(result(source(now() + 5_000, '4'), {}))

    const samples = parseSamples(await registry.metrics())
    const bucket = (le: string) =>
      samples.find((s) => s.name === 'attendance_record_latency_seconds_bucket' && s.labels['le'] === le)
        ?.value
    expect(bucket('0.05')).toBe(1)
    expect(bucket('0.5')).toBe(1)
    expect(bucket('1')).toBe(2)
    expect(bucket('30')).toBe(2)
    expect(bucket('60')).toBe(3)
    expect(bucket('+Inf')).toBe(3)
    expect(samples.find((s) => s.name === 'attendance_record_latency_seconds_sum')?.value).toBeCloseTo(45.7)
    expect(RECORD_LATENCY_BUCKETS_SECONDS.map(String)).toEqual(
      samples
        .filter((s) => s.name === 'attendance_record_latency_seconds_bucket' && s.labels['le'] !== '+Inf')
        .map((s) => s.labels['le']),
    )
  })

  it("labels an account's series with its metricsLabel", async () => {
    const { registry, sink } = setUp((account) => (account === 'us' ? 'portal-us' : account))
    sink.record({ _tag: 'request', account: 'us', outcome: 'success', inputs: 1, latencyMs: 5 })
    sink.record({ _tag: 'request', account: 'eu', outcome: 'success', inputs: 1, latencyMs: 5 })
    const samples = parseSamples(await registry.metrics())
    const accounts = (name: string) => samples.filter((s) => s.name === name).map((s) => s.labels['account'])
    expect(accounts('attendance_hubspot_requests_total').sort()).toEqual(['eu', 'portal-us'])
    expect(new Set(accounts('attendance_hubspot_request_duration_seconds_count'))).toEqual(
      new Set(['eu', 'portal-us']),
    )
  })

  it('stops feeding the histograms once closed', async () => {
    const { registry, sink, handle } = setUp()
    handle.close()
    sink.record({ _tag: 'request', account: 'default', outcome: 'success', inputs: 1, latencyMs: 5 })
    const samples = parseSamples(await registry.metrics())
    expect(samples.some((s) => s.name === 'attendance_hubspot_request_duration_seconds_count')).toBe(false)
    expect(samples.find((s) => s.name === 'attendance_hubspot_requests_total')?.value).toBe(1)
  })
})
