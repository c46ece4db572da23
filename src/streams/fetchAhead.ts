/**
 * How many records a member should hold in flight so that the sink can fill its requests, and no more: the rest
 * stays in Kafka, where a rebalance or a crash does not have to redo it. Pure, so the rule is tested on its own;
 * `attendancePipeline` applies it to the member (`setMaxInFlightRecords`) as the sink's budget changes.
 */
export interface FetchAheadInputs {
  /** This member's requests per HubSpot window, summed over its accounts (share and headers applied). */
  readonly requestsPerWindow: number
  /** Records that one request carries: at least `maxBatchSize`, more where records merge into one input. */
  readonly recordsPerRequest: number
  /** The configured `limits.maxInFlightRecords`: never more than this. */
  readonly ceiling: number
}

/** Windows of requests held ahead: the one being sent and the next, so each request can leave full. */
export const FETCH_AHEAD_WINDOWS = 2

/** Never fewer records in flight than this, so a tiny share of the budget still batches well. */
export const FETCH_AHEAD_FLOOR = 1_000

/** The in-flight bound for what the sink can send in the next {@link FETCH_AHEAD_WINDOWS} windows. */
export const fetchAheadLimit = ({
  requestsPerWindow,
  recordsPerRequest,
  ceiling,
}: FetchAheadInputs): number => {
  const wanted = Math.ceil(requestsPerWindow * recordsPerRequest * FETCH_AHEAD_WINDOWS)
  return Math.max(1, Math.min(ceiling, Math.max(FETCH_AHEAD_FLOOR, wanted)))
}
