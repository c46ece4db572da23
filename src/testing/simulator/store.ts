/**
 * The simulator's HubSpot data: marketing events, contacts, and one participation per (event, contact).
 *
 * Participation follows contract §6: the entry with the newest `interactionDateTime` gives the current state
 * (on a tie, the one recorded last). Its properties are those of every history entry in that state, merged in
 * time order, so an `in` scan's `joinedAt` and a later `out` scan's `leftAt` end up side by side. Recording an
 * entry equal to one already in the history (same state, time and properties) changes nothing: that is the
 * idempotency at-least-once delivery relies on.
 */

/** An event to create: by externalEventId (and account), or objectId. */
export interface SimulatorEventSpec {
  readonly externalEventId?: string
  readonly externalAccountId?: string
  /** Digits; assigned when omitted. */
  readonly objectId?: string
}

/** A marketing event in the simulator. */
export interface SimulatorEvent {
  readonly objectId: string
  readonly externalEventId?: string
  readonly externalAccountId?: string
}

/** A contact in the simulator. */
export interface SimulatorContact {
  readonly vid: number
  readonly email?: string
  readonly properties: Readonly<Record<string, string>>
}

/** One accepted write to a participation. */
export interface ParticipationHistoryEntry {
  readonly state: string
  readonly interactionDateTime: number
  readonly properties: Readonly<Record<string, string>>
  /** Simulator clock time of the request that recorded it. */
  readonly recordedAt: number
}

/** A contact's participation in an event: the newest interaction wins, every write kept in `history`. */
export interface Participation {
  /** `externalAccountId/externalEventId`, `externalEventId` (no account), or the objectId. */
  readonly eventKey: string
  readonly objectId: string
  readonly externalEventId?: string
  readonly externalAccountId?: string
  readonly contact: { readonly vid: number; readonly email?: string }
  readonly state: string
  readonly interactionDateTime: number
  readonly properties: Readonly<Record<string, string>>
  readonly history: readonly ParticipationHistoryEntry[]
}

export const eventKeyOf = (e: SimulatorEvent): string =>
  e.externalEventId === undefined
    ? e.objectId
    : e.externalAccountId === undefined
      ? e.externalEventId
      : `${e.externalAccountId}/${e.externalEventId}`

/**
 * What makes two history entries the same write: state, time and properties (in any key order). A string, so a
 * participation's entries can be looked up in a set: a long stream writes the same contact again and again, and
 * comparing with every earlier entry made the simulator quadratic in the entries per participation.
 */
const entryIdentity = (entry: Omit<ParticipationHistoryEntry, 'recordedAt'>): string => {
  const keys = Object.keys(entry.properties)
  const props = keys.length === 0 ? '' : JSON.stringify(keys.sort().map((k) => [k, entry.properties[k]]))
  return `${entry.state}|${entry.interactionDateTime}|${props}`
}

export type LookupResult =
  | { found: SimulatorEvent }
  | { missing: true }
  | { ambiguous: readonly SimulatorEvent[] }

export class SimulatorStore {
  private readonly events: SimulatorEvent[] = []
  private readonly contactsByVid = new Map<number, SimulatorContact>()
  private readonly vidByEmail = new Map<string, number>()
  private readonly history = new Map<
    string,
    { objectId: string; vid: number; entries: ParticipationHistoryEntry[]; identities: Set<string> }
  >()
  private nextObjectId = 100_000_001
  private nextVid = 9_000_001

  addEvent(spec: SimulatorEventSpec): SimulatorEvent {
    const objectId = spec.objectId ?? String(this.nextObjectId++)
    const e: SimulatorEvent = {
      objectId,
      ...(spec.externalEventId === undefined ? {} : { externalEventId: spec.externalEventId }),
      ...(spec.externalAccountId === undefined ? {} : { externalAccountId: spec.externalAccountId }),
    }
    this.events.push(e)
    return e
  }

  listEvents(): SimulatorEvent[] {
    return this.events.map((e) => ({ ...e }))
  }

  byObjectId(objectId: string): SimulatorEvent | undefined {
    return this.events.find((e) => e.objectId === objectId)
  }

  /**
   * With an account, the event must carry that account. Without one, the externalEventId alone must name
   * exactly one event (HubSpot scopes external ids to the app; the simulator has one app).
   */
  byExternalId(externalEventId: string, externalAccountId: string | undefined): LookupResult {
    const hits = this.events.filter(
      (e) =>
        e.externalEventId === externalEventId &&
        (externalAccountId === undefined || e.externalAccountId === externalAccountId),
    )
    if (hits.length === 0) return { missing: true }
    if (hits.length > 1) return { ambiguous: hits }
    return { found: hits[0] as SimulatorEvent }
  }

  addContact(c: { vid: number; email?: string; properties?: Record<string, string> }): SimulatorContact {
    const contact: SimulatorContact = {
      vid: c.vid,
      ...(c.email === undefined ? {} : { email: c.email }),
      properties: { ...(c.properties ?? {}) },
    }
    this.contactsByVid.set(c.vid, contact)
    if (c.email !== undefined) this.vidByEmail.set(c.email.toLowerCase(), c.vid)
    if (c.vid >= this.nextVid) this.nextVid = c.vid + 1
    return contact
  }

  contactByVid(vid: number): SimulatorContact | undefined {
    return this.contactsByVid.get(vid)
  }

  /** Email variants find a contact by email (case-insensitive) or create it; they never update one. */
  contactByEmail(email: string, create: Record<string, string> | undefined): SimulatorContact | undefined {
    const vid = this.vidByEmail.get(email.toLowerCase())
    if (vid !== undefined) return this.contactsByVid.get(vid)
    if (create === undefined) return undefined
    return this.addContact({ vid: this.nextVid, email, properties: create })
  }

  listContacts(): SimulatorContact[] {
    return [...this.contactsByVid.values()].map((c) => ({ ...c, properties: { ...c.properties } }))
  }

  /** Returns false when the same entry was already recorded (nothing changed). */
  record(
    objectId: string,
    vid: number,
    entry: Omit<ParticipationHistoryEntry, 'recordedAt'>,
    recordedAt: number,
  ): boolean {
    const key = `${objectId}|${vid}`
    let p = this.history.get(key)
    if (p === undefined) {
      p = { objectId, vid, entries: [], identities: new Set() }
      this.history.set(key, p)
    }
    const identity = entryIdentity(entry)
    if (p.identities.has(identity)) return false
    p.identities.add(identity)
    p.entries.push({ ...entry, properties: { ...entry.properties }, recordedAt })
    return true
  }

  participations(): Participation[] {
    const out: Participation[] = []
    for (const p of this.history.values()) {
      const event = this.byObjectId(p.objectId)
      const contact = this.contactsByVid.get(p.vid)
      // A stable sort keeps recording order among equal times, so the last recorded wins a tie.
      const ordered = [...p.entries].sort((a, b) => a.interactionDateTime - b.interactionDateTime)
      const current = ordered[ordered.length - 1]
      if (event === undefined || current === undefined) continue
      const properties: Record<string, string> = {}
      for (const h of ordered) if (h.state === current.state) Object.assign(properties, h.properties)
      out.push({
        eventKey: eventKeyOf(event),
        objectId: event.objectId,
        ...(event.externalEventId === undefined ? {} : { externalEventId: event.externalEventId }),
        ...(event.externalAccountId === undefined ? {} : { externalAccountId: event.externalAccountId }),
        contact: { vid: p.vid, ...(contact?.email === undefined ? {} : { email: contact.email }) },
        state: current.state,
        interactionDateTime: current.interactionDateTime,
        properties,
        history: p.entries.map((h) => ({ ...h, properties: { ...h.properties } })),
      })
    }
    return out
  }
}
