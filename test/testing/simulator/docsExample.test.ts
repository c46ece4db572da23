import { afterEach, beforeEach, expect, it } from 'vitest'
import { createHubSpotClient, type HubSpotClient } from '../../../src/sinks/hubspot/client.js'
import { type HubSpotSimulator, startHubSpotSimulator } from '../../../src/testing/index.js'

let sim: HubSpotSimulator
let client: HubSpotClient

beforeEach(async () => {
  sim = await startHubSpotSimulator({
    tokens: ['pat-test'],
    events: [{ externalEventId: 'expo-2026', externalAccountId: 'acct-7' }],
    contacts: [51234],
    rateLimit: { max: 100 },
  })
  client = createHubSpotClient({ baseUrl: sim.url, token: 'pat-test' })
})

afterEach(async () => {
  await client.close()
  await sim.stop()
})

it('records attendance and reports the unknown contact per input', async () => {
  const result = await client.createByExternalId({
    externalEventId: 'expo-2026',
    externalAccountId: 'acct-7',
    subscriberState: 'attend',
    inputs: [
      { vid: 51234, interactionDateTime: 1764407643120, properties: { joinedAt: '1764407643120' } },
      { vid: 999, interactionDateTime: 1764407643120, properties: {} },
    ],
  })
  expect(result).toMatchObject({ _tag: 'success', acceptedIndices: [0], rejected: [{ index: 1 }] })
  expect(sim.participations()).toMatchObject([
    { eventKey: 'acct-7/expo-2026', contact: { vid: 51234 }, state: 'attend' },
  ])
})

it('rides out a scripted outage', async () => {
  sim.setFaults({ script: [{ status: 503 }, 'reset'] })
  const call = () =>
    client.createByExternalId({
      externalEventId: 'expo-2026',
      externalAccountId: 'acct-7',
      subscriberState: 'register',
      inputs: [{ vid: 51234, interactionDateTime: 1764407643120, properties: {} }],
    })
  expect(await call()).toMatchObject({ _tag: 'failure', kind: 'server', retryable: true })
  expect(await call()).toMatchObject({ _tag: 'failure', kind: 'network', retryable: true })
  expect(await call()).toMatchObject({ _tag: 'success' })
  expect(sim.counters().byRoute['2026-09:A']).toEqual({ '503': 1, reset: 1, '200': 1 })
})
