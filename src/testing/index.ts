/**
 * `attendance-stream/testing`: what you need to test a pipeline without a real HubSpot account or a Kafka
 * cluster — the HubSpot simulator, the embedded Kafka broker, a seeded generator of realistic attendance
 * records, and an audit that checks every input record got exactly one outcome.
 *
 * @packageDocumentation
 */

export * from './attendanceGenerator.js'
export * from './attendanceTopics.js'
export * from './fakeKafka.js'
export * from './kafka/index.js'
export * from './outcomeAudit.js'
export * from './simulator/index.js'
