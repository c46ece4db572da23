import type { SubscriberInput } from '../../codecs/hubspotRequests.js'

/**
 * Byte accounting for the request body `JSON.stringify({ inputs })`. JSON.stringify joins array elements with a
 * bare comma, so the body is exactly `{"inputs":[` + the inputs' JSON joined by `,` + `]}`: a batch can keep a
 * running total and only stringify the one input that changed.
 */

/** `{"inputs":[]}` */
export const EMPTY_REQUEST_BYTES = Buffer.byteLength('{"inputs":[]}')

export const inputBytes = (input: SubscriberInput): number => Buffer.byteLength(JSON.stringify(input))

/** The whole body, measured from scratch: the reference the running total must equal. */
export const requestBytes = (inputs: readonly SubscriberInput[]): number =>
  Buffer.byteLength(JSON.stringify({ inputs }))
