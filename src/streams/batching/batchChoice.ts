import type { OpenBatch } from './openBatch.js'

/** What the choice between an account's ready batches weighs. */
export interface BatchChoice {
  readonly maxBatchSize: number
  readonly maxBatchBytes: number
  /** How long a wait is worth a whole batch of fill; see {@link chooseBatch}. */
  readonly agingMs: number
}

/**
 * Which of an account's ready batches takes the slot that just opened: the one with the highest
 * `fill + waited / agingMs`, where `fill` is how full it is (contacts of `maxBatchSize`, or bytes of
 * `maxBatchBytes`, whichever is more) and `waited` is the time since its first record arrived. Ties go to the
 * batch that became ready first.
 *
 * So a full batch goes before an older partial one unless that one has waited `(1 − fill) × agingMs` longer: when
 * HubSpot's budget is the bottleneck, slots go to full requests (a slot spent on 3 inputs is 97 inputs that wait
 * another window), yet no batch waits more than `agingMs` beyond the full ones around it, so a quiet key is never
 * starved by a busy one. Returns the index in `ready`, or `undefined` when `account` has no ready batch.
 */
export const chooseBatch = (
  ready: readonly OpenBatch[],
  account: string,
  now: number,
  choice: BatchChoice,
): number | undefined => {
  let best: number | undefined
  let bestScore = Number.NEGATIVE_INFINITY
  for (let i = 0; i < ready.length; i += 1) {
    const batch = ready[i] as OpenBatch
    if (batch.key.account !== account) continue
    const fill = Math.min(
      1,
      Math.max(batch.contacts / choice.maxBatchSize, batch.bytes / choice.maxBatchBytes),
    )
    const score = fill + (now - batch.openedAt) / choice.agingMs
    if (score > bestScore) {
      best = i
      bestScore = score
    }
  }
  return best
}
