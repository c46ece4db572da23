/**
 * The one table of defaults (STYLE 17). `resolvePipelineConfig` fills a config from it, and the library pieces
 * that can be used without a config take their own defaults from it too: the HubSpot client
 * (`hubspot.account.apiVersion`, `baseUrl`, `hubspot.timeouts`), the sink (`retry`, `requestsPer10s`,
 * `maxInFlightRequests`) and `batchAttendance` (`batching`). docs/configuration.md lists the same values, and a
 * test keeps it honest.
 */
export const CONFIG_DEFAULTS = {
  kafka: { clientId: 'attendance-stream', fromBeginning: true },
  hubspot: {
    defaultAccount: 'default',
    account: {
      baseUrl: 'https://api.hubapi.com',
      // v1–v3 become unsupported in September 2027; HubSpot asks new integrations to target 2026-09.
      apiVersion: '2026-09',
      mode: 'create',
      // Until HubSpot's headers tell the account's real allowance: 90% of the smallest tier (100 per 10 s),
      // shared by every process using the token. Then X-HubSpot-RateLimit-Max less the headroom.
      requestsPer10s: 90,
      rateLimitHeadroom: 0.05,
      maxInFlightRequests: 4,
    },
    timeouts: { connectMs: 10_000, headersMs: 30_000, bodyMs: 30_000 },
  },
  batching: { maxBatchSize: 100, maxBatchBytes: 524_288, maxWaitMs: 1000, maxOpenBatches: 10_000 },
  retry: { baseDelayMs: 500, maxDelayMs: 30_000, maxAttempts: 6, maxElapsedMs: 300_000 },
  limits: {
    // A ceiling: the pipeline holds what the sink can send in the next two windows (src/streams/fetchAhead.ts),
    // 36,200 records for a Pro account's 181 requests per 10 s; this only caps it.
    maxInFlightRecords: 50_000,
    maxValueBytes: 65_536,
    drainTimeoutMs: 30_000,
    shutdownTimeoutMs: 30_000,
    commitIntervalMs: 1000,
  },
  decode: { notBefore: '2000-01-01T00:00:00Z', maxFutureMs: 86_400_000 },
  onConfigFault: 'stop',
  metrics: { host: '127.0.0.1' },
  log: { level: 'info' },
} as const
