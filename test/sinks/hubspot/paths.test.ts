import { describe, expect, it } from 'vitest'
import { variantPath } from '../../../src/sinks/hubspot/paths.js'

describe('variantPath', () => {
  it('builds each variant under each prefix, encoding every segment', () => {
    const t = { eventId: 'a/b c', subscriberState: 'attend' as const, externalAccountId: 'x&y' }
    expect(variantPath('v3', { ...t, variant: 'A' })).toBe(
      '/marketing/v3/marketing-events/attendance/a%2Fb%20c/attend/create?externalAccountId=x%26y',
    )
    expect(variantPath('2026-03', { ...t, variant: 'B' })).toBe(
      '/marketing/marketing-events/2026-03/attendance/a%2Fb%20c/attend/email-create?externalAccountId=x%26y',
    )
    expect(variantPath('2026-09', { ...t, variant: 'C' })).toBe(
      '/marketing/marketing-events/2026-09/a%2Fb%20c/attendance/attend/create',
    )
    expect(variantPath('v3', { ...t, variant: 'D' })).toBe(
      '/marketing/v3/marketing-events/a%2Fb%20c/attendance/attend/email-create',
    )
    expect(variantPath('v3', { ...t, variant: 'E' })).toBe(
      '/marketing/v3/marketing-events/events/a%2Fb%20c/attend/upsert?externalAccountId=x%26y',
    )
    expect(variantPath('v3', { ...t, variant: 'F' })).toBe(
      '/marketing/v3/marketing-events/events/a%2Fb%20c/attend/email-upsert?externalAccountId=x%26y',
    )
  })
})
