/** `attendance-stream/testing`: the HubSpot simulator (and, later, the embedded Kafka broker). */
export * from './simulator/index.js'
export * from './kafka/index.js'
