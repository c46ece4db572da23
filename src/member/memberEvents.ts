import type { TopicPartition, TopicPartitionOffset } from './offsetLedger.js'

/** What a member reports as it runs (`member.events`). */
export type MemberEvent =
  | {
      readonly type: 'assigned'
      readonly partitions: readonly TopicPartition[]
      /** This member's part of the group's input partitions (0..1]: how much of a shared budget it may use. */
      readonly share: number
      /** Partitions given away by this rebalance. */
      readonly revoked: readonly TopicPartition[]
    }
  | {
      /** Unfinished records of revoked partitions, given up: their new owner redoes them. */
      readonly type: 'abandoned'
      readonly partitions: readonly TopicPartition[]
      readonly records: number
    }
  | { readonly type: 'committed'; readonly offsets: readonly TopicPartitionOffset[] }
  | {
      /** A partition's safe point has not moved for a while: its oldest unfinished record is still in the flow. */
      readonly type: 'stalled'
      readonly topic: string
      readonly partition: number
      /** The unfinished offset it waits for. */
      readonly offset: string
      readonly forMs: number
    }
  | { readonly type: 'paused' }
  | { readonly type: 'resumed' }
  | { readonly type: 'stopping' }
  | { readonly type: 'stopped'; readonly reason: 'stop' | 'error' }

/** A member's counters, as `member.metrics()` returns them. */
export interface MemberCounters {
  /** Records handed to the flow. */
  recordsIn: number
  /** Records refetched after a rebalance that were already in flight or done here, turned away. */
  refetchedSkipped: number
  /** Records the completion marks of a partition's last commit named as done by its previous holder, skipped. */
  doneElsewhere: number
  /** Outcome records acknowledged by Kafka, by kind. */
  results: number
  errors: number
  errorsByCode: Record<string, number>
  /** Records the flow skipped (nothing written, offset committed). */
  skipped: number
  commits: number
  commitFailures: number
  /** Unfinished records given up when their partition was revoked (their new owner redoes them). */
  abandoned: number
  /** Outcomes that came back for records of partitions revoked meanwhile, dropped unwritten. */
  droppedAfterRevoke: number
  /** Produce requests sent again after a failure. */
  produceRetries: number
  inFlight: number
  paused: boolean
  assignedPartitions: number
  /** Partitions whose safe point has not moved for `stallWarningMs` while records are unfinished. */
  stalledPartitions: number
  /** Sum over held partitions of (high watermark − safe offset). */
  lag: number
}

export const newMemberCounters = (): MemberCounters => ({
  recordsIn: 0,
  refetchedSkipped: 0,
  doneElsewhere: 0,
  results: 0,
  errors: 0,
  errorsByCode: {},
  skipped: 0,
  commits: 0,
  commitFailures: 0,
  abandoned: 0,
  droppedAfterRevoke: 0,
  produceRetries: 0,
  inFlight: 0,
  paused: false,
  assignedPartitions: 0,
  stalledPartitions: 0,
  lag: 0,
})
