import { contactIdentity } from '../../src/codecs/attendanceRecord.js'
import type { ResultRecord } from '../../src/codecs/outcomeRecords.js'
import type { GeneratedRecord } from '../../src/testing/attendanceGenerator.js'
import type { OutcomeAudit } from '../../src/testing/outcomeAudit.js'
import type { HubSpotSimulator } from '../../src/testing/simulator/index.js'

export interface ParticipationState {
  readonly state: string
  readonly interactionDateTime: number
}

/**
 * What HubSpot must hold after a run, rebuilt from the result records: records of one contact merged into one
 * batch are sent with their latest interactionDateTime (records.md §2, revised 2026-12-02), and HubSpot keeps the newest per
 * (event, contact) (contract §6). Duplicates from replays are real sends too, so all entries count.
 */
export const impliedParticipations = (audit: OutcomeAudit): Map<string, ParticipationState> => {
  const sent = new Map<string, ParticipationState>()
  for (const { kind, record } of audit.entries) {
    if (kind !== 'result') continue
    const r = record as unknown as ResultRecord
    const contact = contactIdentity(r.contact)
    const key = `${r.batch.id}|${'eventId' in r ? r.eventId : r.eventObjectId}|${contact}`
    const previous = sent.get(key)
    if (previous === undefined || r.interactionDateTime > previous.interactionDateTime) {
      sent.set(key, { state: r.subscriberState, interactionDateTime: r.interactionDateTime })
    }
  }
  const implied = new Map<string, ParticipationState>()
  for (const [key, input] of sent) {
    const participation = key.slice(key.indexOf('|') + 1)
    const previous = implied.get(participation)
    if (previous === undefined || input.interactionDateTime > previous.interactionDateTime) {
      implied.set(participation, input)
    }
  }
  return implied
}

/** The simulator's participations as `event|vid:n` / `event|email:x` → current state. */
export const simulatorParticipations = (
  sim: HubSpotSimulator,
  ignoreEvents: readonly string[] = [],
): Map<string, ParticipationState> =>
  new Map(
    sim
      .participations()
      .filter((p) => !ignoreEvents.includes(p.eventKey))
      .map((p) => {
        const contact = contactIdentity(
          p.contact.email === undefined ? { vid: p.contact.vid } : { email: p.contact.email },
        )
        return [`${p.eventKey}|${contact}`, { state: p.state, interactionDateTime: p.interactionDateTime }]
      }),
  )

/**
 * After a crash, HubSpot may also have received sends whose outcome records were never written (the member
 * died between the two), so its state cannot be rebuilt exactly. What must still hold: every (event, contact)
 * of a valid input is there, each holds the state and time of one of its own valid inputs (a merged send
 * carries the latest of its records), and none is older than what the written results imply.
 */
export const participationProblems = (
  actual: ReadonlyMap<string, ParticipationState>,
  implied: ReadonlyMap<string, ParticipationState>,
  inputs: Iterable<GeneratedRecord>,
): string[] => {
  const candidates = new Map<string, Set<string>>()
  for (const { expected } of inputs) {
    if (expected === undefined) continue
    const key = `${expected.eventId}|${contactIdentity(expected.contact)}`
    let set = candidates.get(key)
    if (set === undefined) {
      set = new Set()
      candidates.set(key, set)
    }
    set.add(`${expected.state}@${expected.interactionDateTime}`)
  }
  const problems: string[] = []
  for (const key of candidates.keys()) if (!actual.has(key)) problems.push(`${key}: missing in HubSpot`)
  for (const [key, state] of actual) {
    if (!candidates.get(key)?.has(`${state.state}@${state.interactionDateTime}`)) {
      problems.push(`${key}: ${state.state}@${state.interactionDateTime} matches no input`)
    }
    const floor = implied.get(key)
    if (floor !== undefined && state.interactionDateTime < floor.interactionDateTime) {
      problems.push(`${key}: older than the results imply`)
    }
  }
  return problems
}
