import { Client } from '@hubspot/api-client'
import { Kafka, logLevel } from 'kafkajs'

/**
 * The consumer a Node developer writes from HubSpot's SDK docs and kafkajs's README: `eachMessage`, parse the
 * JSON, one `recordByContactIds` (or `recordByContactEmails`) call per record, the SDK's defaults (no limiter, no
 * retries). It is the comparison point of B1(c), not a strawman: it handles both input types and both contact
 * kinds, and counts a record done when HubSpot answered, whatever the answer.
 */

export interface SdkPeerOptions {
  readonly brokers: readonly string[]
  readonly topic: string
  readonly groupId: string
  readonly basePath: string
  readonly accessToken: string
}

export interface SdkPeer {
  /** Records whose HubSpot call returned (successfully or not). */
  processed(): number
  failed(): number
  /** Epoch ms the member joined its group, once it has. */
  joinedAt(): number | undefined
  stop(): Promise<void>
}

interface InputEvent {
  readonly type: string
  readonly eventId: string
  readonly state?: string
  readonly contact: {
    readonly vid?: number
    readonly email?: string
    readonly properties?: Record<string, string>
  }
  readonly scannedAt?: string
  readonly occurredAt?: number | string
}

export const startSdkPeer = async (options: SdkPeerOptions): Promise<SdkPeer> => {
  const hubspot = new Client({ accessToken: options.accessToken, basePath: options.basePath })
  const attendees = hubspot.marketing.events.addEventAttendeesApi
  const kafka = new Kafka({ clientId: 'sdk-peer', brokers: [...options.brokers], logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: options.groupId })
  let processed = 0
  let failed = 0
  let joinedAt: number | undefined
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joinedAt ??= Date.now()
  })
  await consumer.connect()
  await consumer.subscribe({ topic: options.topic, fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = JSON.parse(message.value?.toString() ?? 'null') as InputEvent
      const state = event.type === 'badge.scanned' ? 'attend' : (event.state ?? 'attend')
      const at = event.scannedAt ?? event.occurredAt
      const interactionDateTime = typeof at === 'number' ? at : Date.parse(String(at))
      try {
        if (event.contact.vid !== undefined) {
          await attendees.recordByContactIds(event.eventId, state, {
            inputs: [{ vid: event.contact.vid, interactionDateTime, properties: {} }],
          })
        } else {
          await attendees.recordByContactEmails(event.eventId, state, {
            inputs: [
              {
                email: event.contact.email ?? '',
                interactionDateTime,
                properties: {},
                contactProperties: event.contact.properties ?? {},
              },
            ],
          })
        }
      } catch (e) {
        if (process.env.PEER_DEBUG) console.error(String(e).slice(0, 300))
        failed++
      }
      processed++
    },
  })
  return {
    processed: () => processed,
    failed: () => failed,
    joinedAt: () => joinedAt,
    stop: () => consumer.disconnect(),
  }
}
