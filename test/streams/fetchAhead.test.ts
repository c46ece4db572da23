import { describe, expect, it } from 'vitest'
import { FETCH_AHEAD_FLOOR, fetchAheadLimit } from '../../src/streams/fetchAhead.js'

describe('fetchAheadLimit', () => {
  it('holds two windows of full requests: 4 requests/s at 100 records is 8,000, not the 10,000 ceiling', () => {
    expect(fetchAheadLimit({ requestsPerWindow: 40, recordsPerRequest: 100, ceiling: 10_000 })).toBe(8_000)
  })

  it('grows with the budget HubSpot reports and with merged records, up to the ceiling', () => {
    expect(fetchAheadLimit({ requestsPerWindow: 181, recordsPerRequest: 100, ceiling: 100_000 })).toBe(36_200)
    expect(fetchAheadLimit({ requestsPerWindow: 181, recordsPerRequest: 130.5, ceiling: 100_000 })).toBe(
      47_241,
    )
    expect(fetchAheadLimit({ requestsPerWindow: 181, recordsPerRequest: 100, ceiling: 10_000 })).toBe(10_000)
  })

  it('never drops below the floor (a member with a sliver of the budget) nor above a smaller ceiling', () => {
    expect(fetchAheadLimit({ requestsPerWindow: 1, recordsPerRequest: 100, ceiling: 10_000 })).toBe(
      FETCH_AHEAD_FLOOR,
    )
    expect(fetchAheadLimit({ requestsPerWindow: 1, recordsPerRequest: 100, ceiling: 50 })).toBe(50)
  })
})
