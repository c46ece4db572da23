/**
 * attendance-stream: badge scans and check-ins on Kafka → HubSpot marketing-event attendance.
 *
 * The stages, in the order data goes through them (see docs/architecture.md for the types between them):
 * `createKafkaSource` → `decodeRecords` → `batchAttendance` → `sinkToHubSpot` → `outcomeMessage` →
 * `produceOutcomes`, composed by `attendancePipeline`. `attendance-stream/testing` holds the HubSpot simulator
 * and the embedded Kafka broker.
 */

// Codecs: the single source of truth for every type that crosses a boundary.
export * from './codecs/attendanceBatch.js'
export * from './codecs/attendanceRecord.js'
export { describeValue, reportErrors } from './codecs/decodeReporter.js'
export * from './codecs/decodeResult.js'
export * from './codecs/hubspotRequests.js'
export * from './codecs/hubspotResponses.js'
export * from './codecs/inputEvents.js'
export * from './codecs/outcomeRecords.js'
export { parseIsoTimestamp, Timestamp } from './codecs/primitives.js'
export {
  CONFIG_DEFAULTS,
  HUBSPOT_API_VERSIONS,
  HUBSPOT_WRITE_MODES,
  type HubSpotAccountConfig,
  type PipelineConfig,
  PipelineConfigInput,
  resolvePipelineConfig,
} from './config/pipelineConfig.js'
export * from './errors.js'
export { isSecret, Secret } from './secret.js'
// HubSpot: the typed client and the sink stage (they know nothing of Kafka).
export { type BackoffOptions, backoffDelay } from './sinks/backoff.js'
export {
  type CallFailure,
  type CallResult,
  type CallSuccess,
  type FailureKind,
  isCallFailure,
  isCallSuccess,
  type RateLimitHeaders,
  type RateLimitPolicy,
  type RejectedInput,
} from './sinks/hubspot/callResult.js'
export * from './sinks/hubspot/client.js'
export { API_VERSIONS, type Variant } from './sinks/hubspot/paths.js'
export {
  createHubSpotSink,
  type HubSpotSink,
  type HubSpotSinkOptions,
  type RetryOptions,
} from './sinks/hubspotSink.js'
export * from './sinks/rollingWindowBudget.js'
export * from './sinks/sinkMetrics.js'
export * from './sinks/sinkOutcome.js'
// Streams: RxJS operators and the Kafka ends of the pipeline.
export * from './streams/attendancePipeline.js'
export * from './streams/batchAttendance.js'
export {
  DEFAULT_ACCOUNT,
  DEFAULT_MAX_FUTURE_MS,
  DEFAULT_MAX_VALUE_BYTES,
  DEFAULT_NOT_BEFORE,
  type DecodeOptions,
  decodeRecord,
  decodeRecords,
  sourceCoordinates,
} from './streams/decodeRecords.js'
export * from './streams/kafkaSource.js'
export * from './streams/offsetTracker.js'
export * from './streams/outcomeMessages.js'
export type { PipelineCounters } from './streams/pipelineMetrics.js'
export * from './streams/produceOutcomes.js'
export * from './streams/sinkToHubSpot.js'
