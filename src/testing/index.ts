/** `attendance-stream/testing`: the HubSpot simulator and the embedded Kafka broker. */

export * from './kafka/index.js'
export * from './simulator/index.js'
