export type { SimulatorCounters, TokenCounters } from './counters.js'
export type { FaultDecision, FaultPlan, FaultStep, LatencySpec } from './faults.js'
export { maxInWindow, windowCounts } from './rateLimiter.js'
export {
  type HubSpotSimulator,
  type HubSpotSimulatorOptions,
  type PartialFailureMode,
  type SimulatorContactSpec,
  type SimulatorOAuthApp,
  type SimulatorOAuthOptions,
  type SimulatorRateLimitOptions,
  type SimulatorRequestEntry,
  type SimulatorTokenSpec,
  startHubSpotSimulator,
  WRITE_SCOPE,
} from './startHubSpotSimulator.js'
export type {
  Participation,
  ParticipationHistoryEntry,
  SimulatorContact,
  SimulatorEvent,
  SimulatorEventSpec,
} from './store.js'
