import type { AttendanceRecord, StringMap } from '../../codecs/attendanceRecord.js'
import type { SubscriberInput } from '../../codecs/hubspotRequests.js'

/**
 * The HubSpot input for one record: `{ vid, interactionDateTime, properties }` for a vid contact,
 * `{ email, interactionDateTime, properties, contactProperties }` for an email contact. The maps are copies, so a
 * merge never writes into a source record.
 */
export function toSubscriberInput(record: AttendanceRecord): SubscriberInput {
  const { contact } = record
  return 'vid' in contact
    ? {
        vid: contact.vid,
        interactionDateTime: record.interactionDateTime,
        properties: { ...record.properties },
      }
    : {
        email: contact.email,
        interactionDateTime: record.interactionDateTime,
        properties: { ...record.properties },
        contactProperties: { ...record.contactProperties },
      }
}

/**
 * Merges a later record of the same contact into the batch's input (records.md §2), returning a new input:
 * - `interactionDateTime`: the latest. HubSpot keeps, per (event, contact), the state written with the newest
 *   `interactionDateTime`; an input carrying its group's earliest time could lose to an older write from another
 *   batch (register@0, cancel@1000, register@2000 over two batches ended as `cancel`). With the latest, the newest
 *   input of each contact wins whatever the batching, retries or send order (records.md §2, revised 2026-12-02);
 * - `properties.joinedAt`: the earliest, `properties.leftAt`: the latest, compared as numbers (epoch-ms strings);
 * - any other property: the value first seen is kept (the contract is silent; the first scan of a visit is
 *   the one a person would call "the" value), keys only the later record has are added;
 * - `contactProperties`: the later record wins per key — they describe the contact as it is now, and HubSpot
 *   only uses them when it creates the contact;
 * - the email keeps the spelling first seen (HubSpot matches emails case-insensitively).
 */
export function mergeSubscriberInput(input: SubscriberInput, record: AttendanceRecord): SubscriberInput {
  const interactionDateTime = Math.max(input.interactionDateTime, record.interactionDateTime)
  const properties = mergeProperties(input.properties, record.properties)
  return 'vid' in input
    ? { vid: input.vid, interactionDateTime, properties }
    : {
        email: input.email,
        interactionDateTime,
        properties,
        contactProperties: { ...input.contactProperties, ...record.contactProperties },
      }
}

function mergeProperties(kept: StringMap, later: StringMap): StringMap {
  const merged: StringMap = { ...later, ...kept }
  const joinedAt = pickEpoch(kept['joinedAt'], later['joinedAt'], Math.min)
  if (joinedAt !== undefined) merged['joinedAt'] = joinedAt
  const leftAt = pickEpoch(kept['leftAt'], later['leftAt'], Math.max)
  if (leftAt !== undefined) merged['leftAt'] = leftAt
  return merged
}

// A value that is not a number (the decoder never produces one) loses to one that is, so a merge can't turn a
// usable timestamp into garbage; when neither is a number the value first seen stays.
function pickEpoch(
  kept: string | undefined,
  later: string | undefined,
  pick: (a: number, b: number) => number,
): string | undefined {
  if (later === undefined) return kept
  if (kept === undefined) return later
  const a = Number(kept)
  const b = Number(later)
  if (Number.isNaN(b)) return kept
  if (Number.isNaN(a)) return later
  return pick(a, b) === a ? kept : later
}
