import { contactIdentity } from '../codecs/attendanceRecord.js'
import { seededRandom } from './simulator/prng.js'

/** The same seedable PRNG the simulator uses (mulberry32): the same seed gives the same stream everywhere. */
export { seededRandom }

/**
 * A seeded, realistic stream of venue traffic for tests, the demo and benchmarks: badge scans in and out and
 * check-ins that register, attend and cancel, over a few events and many contacts, with a chosen share of
 * malformed records. It also says what the valid ones imply, so a run can be checked against HubSpot's state.
 */

/** Shape of the generated traffic. */
export interface AttendanceGeneratorOptions {
  /** Default 1. */
  readonly seed?: number
  /** External event ids `expo-2026-0`, … Default 3. */
  readonly events?: number
  /** vids 1000…; a quarter of the records name the contact by email instead. Default 2,000. */
  readonly contacts?: number
  /** Share of malformed records, 0–1. Default 0.05. */
  readonly badShare?: number
  /** Share of records naming the contact by email (`c<vid>@example.com`). Default 0.25. */
  readonly emailShare?: number
  /** Epoch ms of the first interaction; one record per `stepMs` after it. Default: one hour before now. */
  readonly startAt?: number
  /** Default 7 ms: timestamps strictly increase, so "newest wins" has no ties. */
  readonly stepMs?: number
}

/** One Kafka message to produce, and what it should end as when it is valid. */
export interface GeneratedRecord {
  readonly key: string
  /** JSON text, or a deliberately broken value. */
  readonly value: string | null
  /** Undefined for malformed records. */
  readonly expected?: {
    readonly eventId: string
    readonly contact: { readonly vid: number } | { readonly email: string }
    readonly state: 'register' | 'attend' | 'cancel'
    readonly interactionDateTime: number
  }
}

const MALFORMED: readonly ((n: number) => string | null)[] = [
  () => '{"type":"badge.scanned","scanId":',
  () => null,
  (n) => JSON.stringify({ type: 'badge.scanned', scanId: `bad-${n}`, eventId: 'expo', contact: { vid: -4 } }),
  (n) => JSON.stringify({ type: 'lunch.eaten', id: n }),
  () => '[1,2,3]',
  (n) =>
    JSON.stringify({
      type: 'attendee.checkin',
      checkinId: `bad-${n}`,
      eventId: 'expo',
      state: 'maybe',
      contact: { email: 'not an email' },
      occurredAt: 'yesterday',
    }),
]

/**
 * `count` records of venue traffic, the same for the same seed.
 *
 * @example
 * const records = [...generateAttendance(10_000, { seed: 7, badShare: 0.05 })]
 * await producer.send({ topic, messages: records.map(({ key, value }) => ({ key, value })) })
 */
export function* generateAttendance(
  count: number,
  options: AttendanceGeneratorOptions = {},
): Generator<GeneratedRecord> {
  const random = seededRandom(options.seed ?? 1)
  const events = options.events ?? 3
  const contacts = options.contacts ?? 2_000
  const badShare = options.badShare ?? 0.05
  const emailShare = options.emailShare ?? 0.25
  const stepMs = options.stepMs ?? 7
  let at = options.startAt ?? Date.now() - 3_600_000
  const pick = (n: number) => Math.floor(random() * n)

  for (let n = 0; n < count; n++) {
    at += stepMs
    if (random() < badShare) {
      const broken = MALFORMED[pick(MALFORMED.length)] as (n: number) => string | null
      yield { key: `bad-${n}`, value: broken(n) }
      continue
    }
    const eventId = `expo-2026-${pick(events)}`
    const vid = 1_000 + pick(contacts)
    const contact = random() < emailShare ? { email: `c${vid}@example.com` } : { vid }
    if (random() < 0.6) {
      const scanId = `scn-${n}`
      const direction = random() < 0.7 ? 'in' : 'out'
      const value = {
        type: 'badge.scanned',
        scanId,
        eventId,
        contact,
        scannedAt: new Date(at).toISOString(),
        direction,
        scanner: { id: `gate-${pick(8)}`, location: `Hall ${'ABC'[pick(3)]}` },
      }
      yield {
        key: scanId,
        value: JSON.stringify(value),
        expected: { eventId, contact, state: 'attend', interactionDateTime: at },
      }
    } else {
      const checkinId = `chk-${n}`
      const roll = random()
      const state = roll < 0.6 ? 'register' : roll < 0.9 ? 'attend' : 'cancel'
      const value = {
        type: 'attendee.checkin',
        checkinId,
        eventId,
        state,
        contact: 'email' in contact ? { ...contact, properties: { firstname: `Guest${vid}` } } : contact,
        occurredAt: at,
      }
      yield {
        key: checkinId,
        value: JSON.stringify(value),
        expected: { eventId, contact, state, interactionDateTime: at },
      }
    }
  }
}

/** What a contact's participation in an event should end as: the state of its newest valid record. */
export interface ExpectedParticipation {
  readonly eventId: string
  readonly contact: string
  readonly state: string
  readonly interactionDateTime: number
}

/**
 * The participation each (event, contact) must end with, from the valid generated records. A vid and its email
 * address are different contacts to HubSpot unless it links them, so they are kept apart here.
 */
export const expectedParticipations = (
  records: Iterable<GeneratedRecord>,
): Map<string, ExpectedParticipation> => {
  const byKey = new Map<string, ExpectedParticipation>()
  for (const { expected } of records) {
    if (expected === undefined) continue
    const contact = contactIdentity(expected.contact)
    const key = `${expected.eventId}|${contact}`
    const previous = byKey.get(key)
    if (previous === undefined || expected.interactionDateTime > previous.interactionDateTime) {
      byKey.set(key, {
        eventId: expected.eventId,
        contact,
        state: expected.state,
        interactionDateTime: expected.interactionDateTime,
      })
    }
  }
  return byKey
}
