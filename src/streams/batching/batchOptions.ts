import { randomBytes } from 'node:crypto'
import type { SchedulerLike } from 'rxjs'
import { asyncScheduler } from 'rxjs'
import { CONFIG_DEFAULTS } from '../../config/defaults.js'
import { BATCHING_RULES } from '../../config/rules.js'
import { AttendanceStreamError } from '../../errors.js'
import type { BatchingStats } from './batchAccumulator.js'
import type { SendCapacity } from './sendCapacity.js'

/** The bounds of `batchAttendance`; each is optional, see {@link DEFAULT_BATCH_OPTIONS}. */
export interface BatchOptions {
  /** Distinct contacts per batch; HubSpot documents no limit, the contract's policy is 100. Default 100. */
  readonly maxBatchSize?: number
  /** Bound on the request body `JSON.stringify({ inputs })`, in bytes. Default 512 KiB. */
  readonly maxBatchBytes?: number
  /** Longest a record waits, from the arrival of its batch's first record; an integer ≥ 0. Default 1000. */
  readonly maxWaitMs?: number
  /** Open batches held at once; when full, the oldest is emitted early. Default 10,000. */
  readonly maxOpenBatches?: number
  /**
   * The sink's free slots per account (`HubSpotSink.capacity`). With it, batching seals late: a batch that is due
   * (or full) while its account has no slot free stays here, a due one still taking records of its key, and goes
   * when a slot opens, the account's ready batches chosen by fill and age (see `agingMs`). Without it, batches
   * leave the moment they are full or due.
   */
  readonly sendCapacity?: SendCapacity
  /**
   * When a slot opens, a full batch goes before an older partial one unless that one has waited
   * `(1 − fill) × agingMs` longer. Only with `sendCapacity`. Default 10,000 (HubSpot's window).
   */
  readonly agingMs?: number
  /** Clock and timers. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike
  /**
   * Batch ids are `idPrefix` + a counter from 1 per subscription. Without it ids are `b-<8 random hex>-<n>`, with
   * the random part drawn once per process and `n` counted across all subscriptions, so ids are unique in the
   * process and very unlikely to repeat across processes.
   */
  readonly idPrefix?: string
  /**
   * Called with the operator's state after every change that opens or closes batches, before the closed
   * batches are emitted. For a gauge; if it throws, the stream errors with what it threw.
   */
  readonly onStats?: (stats: BatchingStats) => void
}

export interface BatchSettings {
  readonly maxBatchSize: number
  readonly maxBatchBytes: number
  readonly maxWaitMs: number
  readonly maxOpenBatches: number
  readonly sendCapacity: SendCapacity | undefined
  readonly agingMs: number
  readonly scheduler: SchedulerLike
  readonly newIdSource: () => () => string
  readonly onStats: ((stats: BatchingStats) => void) | undefined
}

/** How long a wait is worth a whole batch of fill, by default: HubSpot's rolling window. */
export const DEFAULT_AGING_MS = 10_000

/** The contract's defaults: 100 contacts, 512 KiB, 1 s, 10,000 open batches (`CONFIG_DEFAULTS.batching`). */
export const DEFAULT_BATCH_OPTIONS = CONFIG_DEFAULTS.batching

/**
 * Validates options once, when the operator is built: a bad setting is a configuration error, not a stream error.
 * The rules are the config's own (`BATCHING_RULES`), so `batching.*` in a config and these options cannot disagree.
 */
export function resolveBatchOptions(options: BatchOptions): BatchSettings {
  const checked = (name: keyof typeof BATCHING_RULES): number => {
    const value = options[name] ?? DEFAULT_BATCH_OPTIONS[name]
    const rule = BATCHING_RULES[name]
    if (!rule.is(value)) throw invalid(name, value, rule.name)
    return value
  }
  const maxBatchSize = checked('maxBatchSize')
  const maxBatchBytes = checked('maxBatchBytes')
  const maxOpenBatches = checked('maxOpenBatches')
  const maxWaitMs = checked('maxWaitMs')
  const { idPrefix } = options
  const agingMs = options.agingMs ?? DEFAULT_AGING_MS
  if (!(Number.isFinite(agingMs) && agingMs > 0)) throw invalid('agingMs', agingMs, 'a number > 0')
  return {
    maxBatchSize,
    maxBatchBytes,
    maxWaitMs,
    maxOpenBatches,
    sendCapacity: options.sendCapacity,
    agingMs,
    scheduler: options.scheduler ?? asyncScheduler,
    newIdSource: idPrefix === undefined ? () => processWideId : () => counterFrom(idPrefix),
    onStats: options.onStats,
  }
}

const processIdBase = `b-${randomBytes(4).toString('hex')}-`
let processIdCounter = 0
const processWideId = (): string => {
  processIdCounter += 1
  return processIdBase + processIdCounter
}

const counterFrom = (prefix: string): (() => string) => {
  let n = 0
  return () => {
    n += 1
    return prefix + n
  }
}

const invalid = (name: string, value: unknown, expected: string): AttendanceStreamError =>
  new AttendanceStreamError(
    'INVALID_CONFIG',
    `batchAttendance: ${name} must be ${expected}, got ${String(value)}`,
    {
      context: { option: name, value },
    },
  )
