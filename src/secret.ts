import { inspect } from 'node:util'

/**
 * A credential (HubSpot token, OAuth client secret and refresh token, SASL password) held so that printing it
 * cannot show it: `util.inspect`, `JSON.stringify`, `String()`, template literals and `console.log` all give
 * `[REDACTED]`. The value lives in a module-private WeakMap, not on the object, so neither `showHidden`,
 * `Object.getOwnPropertyNames` nor a structured clone finds it. Read it with `reveal()` only where it leaves the
 * process (an `Authorization` header, a token request, the kafkajs SASL options) or to teach a redactor.
 */
const values = new WeakMap<Secret, string>()

export const REDACTED_SECRET = '[REDACTED]'

export class Secret {
  constructor(value: string) {
    values.set(this, value)
  }

  /** A Secret as is, or a string wrapped in one. */
  static of(value: string | Secret): Secret {
    return value instanceof Secret ? value : new Secret(value)
  }

  /** The value itself. Call it where the credential is sent, never to log or compare it. */
  reveal(): string {
    return values.get(this) as string
  }

  toString(): string {
    return REDACTED_SECRET
  }

  toJSON(): string {
    return REDACTED_SECRET
  }

  [Symbol.toPrimitive](): string {
    return REDACTED_SECRET
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED_SECRET})`
  }
}

/** Whether `u` is a {@link Secret}. */
export const isSecret = (u: unknown): u is Secret => u instanceof Secret

// RFC 9110 §5.5 allows VCHAR, SP, HTAB and obs-text in a field value; a bearer credential (RFC 6750 token68) is
// narrower still. CR or LF would end the header (undici refuses the request: every call would fail as a
// "network" error), so the check is made once, at configuration, and kept to visible ASCII.
const HEADER_SAFE_TOKEN = /^[\x21-\x7E]+$/

/** Whether `value` can be sent as `Authorization: Bearer <value>`: visible ASCII only, no spaces or controls. */
export const isHeaderSafeToken = (value: string): boolean => HEADER_SAFE_TOKEN.test(value)
