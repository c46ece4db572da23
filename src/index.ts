/**
 * attendance-stream: badge scans and check-ins on Kafka → HubSpot marketing-event attendance.
 *
 * Two halves (docs/architecture.md): the member (`runMember`: Kafka in, one outcome per record out, safe
 * commits) and the attendance flow (`attendanceFlow`: `decodeRecords` → your steps → `batchAttendance` →
 * `sinkToHubSpot` → `attendanceOutcome`), composed by `attendancePipeline`. `attendance-stream/testing` holds the
 * HubSpot simulator, the embedded Kafka broker and an in-memory consumer group.
 *
 * Everything is exported by name: what is listed here is what users may rely on.
 */

// Codecs: the single source of truth for every type that crosses a boundary.
export type { AttendanceBatch, BatchKey } from './codecs/attendanceBatch.js'
export {
  AttendanceRecord,
  ContactKey,
  contactIdentity,
  contactKind,
  coordinatesOf,
  EventRef,
  SourceCoordinates,
  StringMap,
  SubscriberState,
} from './codecs/attendanceRecord.js'
export { describeValue, reportErrors } from './codecs/decodeReporter.js'
export {
  type Decoded,
  type DecodeErrorCode,
  type DecodeFailed,
  type DecodeResult,
  isDecoded,
  isDecodeFailed,
  type Payload,
} from './codecs/decodeResult.js'
export {
  EmailAttendanceRequest,
  MarketingEventEmailSubscriber,
  MarketingEventSubscriber,
  SubscriberInput,
  VidAttendanceRequest,
} from './codecs/hubspotRequests.js'
export {
  BatchResponse,
  BatchStatus,
  ErrorBody,
  ErrorDetail,
  RateLimitBody,
  RateLimitPolicyName,
  StandardError,
  SubscriberResult,
} from './codecs/hubspotResponses.js'
export {
  AttendeeCheckin,
  BadgeScanned,
  INPUT_EVENT_TYPES,
  InputEvent,
  type InputEventType,
  interactionTime,
  isInputEventType,
  toAttendanceRecord,
} from './codecs/inputEvents.js'
export {
  BatchInfo,
  ERROR_SCHEMA,
  ErrorRecord,
  ErrorStage,
  errorRecordFromDecodeFailure,
  HubspotErrorInfo,
  PayloadOfError,
  RESULT_SCHEMA,
  ResultRecord,
} from './codecs/outcomeRecords.js'
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
export {
  AttendanceStreamError,
  type AttendanceStreamErrorOptions,
  DECODE_ERROR_CODES,
  ERROR_CODES,
  type ErrorCode,
  isAttendanceStreamError,
} from './errors.js'
export { type KafkaJsPortOptions, kafkaJsPort } from './member/kafkaJsPort.js'
// The member: a consumer-group member that runs any flow (Kafka in, one outcome per record out, safe commits).
export type {
  AdminPort,
  ConsumerListener,
  GroupConsumerPort,
  KafkaPort,
  OutcomeProducerPort,
  ProducedMessage,
} from './member/kafkaPort.js'
export type { MemberCounters, MemberEvent } from './member/memberEvents.js'
export type { TopicPartition, TopicPartitionOffset } from './member/offsetLedger.js'
export {
  type ErrorOutcome,
  failure,
  isOutcome,
  type Outcome,
  type Result,
  result,
  type Skipped,
  skipped,
} from './member/outcome.js'
export { type OutcomeMessage, type OutcomeTopics, outcomeMessage } from './member/outcomeMessage.js'
export {
  type Member,
  type MemberLimits,
  type MemberLogger,
  type MemberOptions,
  runMember,
  type StopOptions,
} from './member/runMember.js'
export {
  type FetchedRecord,
  isLive,
  keyBytes,
  keyText,
  type Lease,
  OPEN_LEASE,
  type SourceRecord,
  sourceRecordOf,
} from './member/sourceRecord.js'
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
export {
  type ApiVersion,
  type AttendanceCall,
  type CallOptions,
  createHubSpotClient,
  type ExternalEventCall,
  type HubSpotClient,
  type HubSpotClientOptions,
  type ObjectEventCall,
  type UpsertCall,
} from './sinks/hubspot/client.js'
export { API_VERSIONS, type Variant } from './sinks/hubspot/paths.js'
export {
  createHubSpotSink,
  type HubSpotSink,
  type HubSpotSinkOptions,
  type RetryOptions,
} from './sinks/hubspotSink.js'
export type { BudgetSnapshot, ObservedRateLimit } from './sinks/rollingWindowBudget.js'
export type {
  AccountMetricsSnapshot,
  HistogramSnapshot,
  RequestOutcome,
  SinkMetrics,
  SinkMetricsSnapshot,
} from './sinks/sinkMetrics.js'
export {
  type Failed,
  isFailed,
  isRecorded,
  isRejected,
  type Recorded,
  type Rejected,
  type SinkOutcome,
  type SinkProblem,
} from './sinks/sinkOutcome.js'
export {
  type AttendanceFlowOptions,
  type AttendanceFlowSteps,
  type AttendanceOutcome,
  type AttendanceStep,
  attendanceFlow,
  filterRecords,
} from './streams/attendanceFlow.js'
// Streams: RxJS operators and the Kafka ends of the pipeline.
export {
  type AttendancePipeline,
  type AttendancePipelineOptions,
  attendancePipeline,
  type PipelineEvent,
  type PipelineLogger,
  type PipelineMetrics,
} from './streams/attendancePipeline.js'
export {
  type BatchingStats,
  type BatchOptions,
  batchAttendance,
  DEFAULT_BATCH_OPTIONS,
} from './streams/batchAttendance.js'
export {
  DEFAULT_ACCOUNT,
  DEFAULT_MAX_FUTURE_MS,
  DEFAULT_MAX_VALUE_BYTES,
  DEFAULT_NOT_BEFORE,
  type DecodeOptions,
  decodeRecord,
  decodeRecords,
} from './streams/decodeRecords.js'
export {
  attendanceOutcome,
  type PipelineOutcome,
  resultRecordOf,
  sinkErrorRecordOf,
} from './streams/outcomeMessages.js'
export type { PipelineCounters } from './streams/pipelineMetrics.js'
export { type SinkToHubSpotOptions, sinkToHubSpot } from './streams/sinkToHubSpot.js'
