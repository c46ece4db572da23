import { describe, expect, it } from 'vitest'
import type { StandardError } from '../../../src/codecs/hubspotResponses.js'
import { mapBatchOutcomes, namedByErrorBody } from '../../../src/sinks/hubspot/mapInputs.js'

const v = (vid: number) => ({ vid, interactionDateTime: 1, properties: {} })
const e = (email: string) => ({ email, interactionDateTime: 1, properties: {}, contactProperties: {} })
const err = (
  message: string,
  context?: Record<string, string[]>,
  extra: Partial<StandardError> = {},
): StandardError => ({
  status: 'error',
  category: 'VALIDATION_ERROR',
  message,
  ...(context === undefined ? {} : { context }),
  ...extra,
})

describe('mapBatchOutcomes', () => {
  it('accepts every input of a response without errors, even when results list none (PENDING)', () => {
    expect(mapBatchOutcomes([v(1), v(2)], [], [])).toEqual({ acceptedIndices: [0, 1], rejected: [] })
  })

  it('maps context.vids to every input with that vid', () => {
    const out = mapBatchOutcomes([v(1), v(2), v(1)], [{ vid: 2 }], [err('no such contact', { vids: ['1'] })])
    expect(out).toEqual({
      acceptedIndices: [1],
      rejected: [
        { index: 0, message: 'no such contact', category: 'VALIDATION_ERROR' },
        { index: 2, message: 'no such contact', category: 'VALIDATION_ERROR' },
      ],
    })
  })

  it('matches emails case-insensitively, in results and in context', () => {
    const out = mapBatchOutcomes(
      [e('Ada@Example.com'), e('bob@example.com')],
      [{ vid: 9, email: 'ada@example.COM' }],
      [err('bad', { emails: ['BOB@example.com'] })],
    )
    expect(out.acceptedIndices).toEqual([0])
    expect(out.rejected.map((r) => r.index)).toEqual([1])
  })

  it('an error naming no input applies to every input not in results', () => {
    const out = mapBatchOutcomes(
      [v(1), v(2), v(3)],
      [{ vid: 2 }],
      [err('something went wrong', undefined, { subCategory: 'X', errors: [{ message: 'm', code: 'C' }] })],
    )
    expect(out).toEqual({
      acceptedIndices: [1],
      rejected: [
        {
          index: 0,
          message: 'something went wrong',
          category: 'VALIDATION_ERROR',
          subCategory: 'X',
          code: 'C',
        },
        {
          index: 2,
          message: 'something went wrong',
          category: 'VALIDATION_ERROR',
          subCategory: 'X',
          code: 'C',
        },
      ],
    })
  })

  it('a named error wins over a listing in results; an unlisted, unnamed input of an erroring response is rejected', () => {
    const out = mapBatchOutcomes([v(1), v(2), v(3)], [{ vid: 1 }, { vid: 2 }], [err('dup', { vids: ['2'] })])
    expect(out.acceptedIndices).toEqual([0])
    expect(out.rejected).toEqual([
      { index: 1, message: 'dup', category: 'VALIDATION_ERROR' },
      {
        index: 2,
        message: 'HubSpot reported errors and did not list this input among its results',
        code: 'NOT_IN_RESULTS',
      },
    ])
  })

  it('reads names from the details too: their context and an inputs[N] path', () => {
    const out = mapBatchOutcomes(
      [v(1), v(2), v(3)],
      [{ vid: 1 }],
      [
        err('x', undefined, {
          errors: [
            { message: 'a', context: { vids: ['2'] } },
            { message: 'b', in: 'inputs[2].vid' },
          ],
        }),
      ],
    )
    expect(out.acceptedIndices).toEqual([0])
    expect(out.rejected.map((r) => r.index)).toEqual([1, 2])
  })

  it('every input ends accepted or rejected, exactly once', () => {
    const inputs = [v(1), v(2), v(3), v(4), v(5)]
    const out = mapBatchOutcomes(inputs, [{ vid: 1 }, { vid: 3 }], [err('a', { vids: ['3', '4'] }), err('b')])
    const all = [...out.acceptedIndices, ...out.rejected.map((r) => r.index)].sort()
    expect(all).toEqual([0, 1, 2, 3, 4])
  })
})

describe('namedByErrorBody', () => {
  it('prefers each detail message over the body message and ignores names that are not in the request', () => {
    const out = namedByErrorBody([v(1), v(2)], {
      message: 'Invalid input',
      category: 'VALIDATION_ERROR',
      context: { vids: ['1', '2', '99'] },
      errors: [{ message: 'Contact 2 does not exist', code: 'CONTACT_NOT_FOUND', context: { vids: ['2'] } }],
    })
    expect(out).toEqual([
      { index: 0, message: 'Invalid input', category: 'VALIDATION_ERROR', code: 'CONTACT_NOT_FOUND' },
      {
        index: 1,
        message: 'Contact 2 does not exist',
        category: 'VALIDATION_ERROR',
        code: 'CONTACT_NOT_FOUND',
      },
    ])
  })

  it('names nothing when the body names nothing', () => {
    expect(namedByErrorBody([v(1)], { message: 'Invalid input JSON' })).toEqual([])
  })
})
