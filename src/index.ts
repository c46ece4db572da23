/**
 * attendance-stream: badge scans and check-ins on Kafka → HubSpot marketing-event attendance.
 * The public API; `attendance-stream/testing` holds the HubSpot simulator and the embedded Kafka broker.
 */
export * from './codecs/attendanceBatch.js'
export * from './codecs/attendanceRecord.js'
export * from './codecs/hubspotRequests.js'
export * from './errors.js'
