import type { Observable } from 'rxjs'

/**
 * How many more requests an account could start now, and when that may have grown: the port through which
 * batching asks the sink before it lets a batch go (`HubSpotSink.capacity` implements it).
 */
export interface SendCapacity {
  /**
   * Requests `account` could start now that no batch already handed to the sink has claimed: free in-flight slots
   * and budget, less the batches waiting. While the account is in an outage, 1 when nothing waits (that batch
   * becomes the probe), else 0.
   */
  available(account: string): number
  /** Emits an account's name when its `available` may have grown (an answer, the window moving, the gate up). */
  readonly changes: Observable<string>
}
