import type {
  AttendanceRecord,
  ContactKey,
  EventRef,
  SubscriberState,
} from '../../../src/codecs/attendanceRecord.js'

export interface RecordSpec {
  readonly account?: string
  readonly event?: EventRef
  readonly subscriberState?: SubscriberState
  readonly contact?: ContactKey
  readonly interactionDateTime?: number
  readonly properties?: Record<string, string>
  readonly contactProperties?: Record<string, string>
  readonly offset?: number
}

let offsets = 0

/** A decoded record with defaults for everything a test doesn't care about; every record gets its own offset. */
export function attendance(spec: RecordSpec = {}): AttendanceRecord {
  offsets += 1
  const offset = spec.offset ?? offsets
  return {
    account: spec.account ?? 'default',
    event: spec.event ?? { kind: 'external', externalEventId: 'expo-2026' },
    subscriberState: spec.subscriberState ?? 'attend',
    contact: spec.contact ?? { vid: offset },
    interactionDateTime: spec.interactionDateTime ?? 1_764_407_643_120,
    properties: spec.properties ?? {},
    contactProperties: spec.contactProperties ?? {},
    origin: { type: 'badge.scanned', id: `scn-${offset}` },
    source: {
      topic: 'scans',
      partition: 0,
      offset: String(offset),
      timestamp: '1764407643120',
      key: null,
      value: null,
    },
  }
}
