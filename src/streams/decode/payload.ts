import { isUtf8 } from 'node:buffer'
import type { Payload } from '../../codecs/decodeResult.js'

/** Bytes as an error record carries them: UTF-8 text when they are valid UTF-8, base64 otherwise. */
export const payloadOf = (bytes: Buffer): Payload =>
  isUtf8(bytes)
    ? { encoding: 'utf8', data: bytes.toString('utf8') }
    : { encoding: 'base64', data: bytes.toString('base64') }

/**
 * The first `limit` bytes of an oversized value. Kafka's default message.max.bytes is 1 MB, so an error
 * record quoting a 10 MB value whole could never be written and would stall its partition. The cut is moved
 * back to a character boundary (at most 3 bytes) so that a UTF-8 value stays readable text.
 */
export const truncatedPayloadOf = (bytes: Buffer, limit: number): Payload => {
  const head = bytes.subarray(0, Math.max(0, limit))
  if (isUtf8(head)) return { encoding: 'utf8', data: head.toString('utf8') }
  // Step back over continuation bytes (10xxxxxx) to the lead byte of the character the cut went through.
  let lead = head.length - 1
  while (lead > 0 && head.length - lead < 4 && (head[lead]! & 0xc0) === 0x80) lead--
  const whole = head.subarray(0, lead)
  if (lead >= 0 && (head[lead]! & 0xc0) === 0xc0 && isUtf8(whole)) {
    return { encoding: 'utf8', data: whole.toString('utf8') }
  }
  return { encoding: 'base64', data: head.toString('base64') }
}
