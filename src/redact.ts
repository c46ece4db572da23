/**
 * Keeping secrets out of what the service prints. Two nets, because either alone leaks: the configured secret
 * strings are replaced wherever they occur (a token inside an error message or a URL has no telling key), and
 * values under keys named like credentials are replaced whatever they are (a secret nobody configured, e.g. an
 * OAuth token fetched at run time, still sits under `authorization`).
 */

export const REDACTED = '[REDACTED]'

/** Keys whose values are credentials: `token`, `accessToken`, `Authorization`, `password`, `x-api-key`, … */
export const SECRET_KEY =
  /token|authori[sz]ation|passw(or)?d|passphrase|secret|api[-_]?key|cookie|credential|private[-_]?key/i

export const isSecretKey = (key: string): boolean => SECRET_KEY.test(key)

// A bearer credential in free text, whoever configured it; and HubSpot private-app tokens by their shape.
const BEARER = /\b(Bearer|Basic)\s+[^\s"',;]+/gi
const HUBSPOT_PRIVATE_APP_TOKEN = /\bpat-[a-z]{2,3}\d*-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\b/gi

export interface Redactor {
  /** `text` with every known secret and every bearer credential replaced by `[REDACTED]`. */
  (text: string): string
  /** Adds secrets (e.g. a token obtained at run time); empty strings are ignored. */
  add(secrets: Iterable<string>): void
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

export const createRedactor = (secrets: Iterable<string> = []): Redactor => {
  // Longest first, so a secret that contains another is replaced whole, not leaving its tail behind.
  let known: string[] = []
  let pattern: RegExp | undefined
  const add = (more: Iterable<string>) => {
    const next = new Set(known)
    for (const secret of more) if (typeof secret === 'string' && secret !== '') next.add(secret)
    known = [...next].sort((a, b) => b.length - a.length)
    pattern = undefined
  }
  add(secrets)
  const redact = (text: string): string => {
    // Case-insensitive: a secret that went through toLowerCase() on its way (an env var read as a log level)
    // must still be caught. One alternation, longest first, so overlapping secrets are replaced whole.
    pattern ??= known.length === 0 ? undefined : new RegExp(known.map(escapeRegExp).join('|'), 'gi')
    const out = pattern === undefined ? text : text.replace(pattern, REDACTED)
    return out
      .replace(BEARER, (_, scheme: string) => `${scheme} ${REDACTED}`)
      .replace(HUBSPOT_PRIVATE_APP_TOKEN, REDACTED)
  }
  return Object.assign(redact, { add })
}

/**
 * Every string found under a credential-named key (or one matching `isSecret`), at any depth: the secrets of
 * a parsed config file.
 */
export const secretsIn = (value: unknown, isSecret: (key: string) => boolean = isSecretKey): string[] => {
  const found: string[] = []
  const seen = new Set<unknown>()
  const walk = (v: unknown, underSecretKey: boolean) => {
    if (typeof v === 'string') {
      if (underSecretKey && v !== '') found.push(v)
      return
    }
    if (typeof v !== 'object' || v === null || seen.has(v)) return
    seen.add(v)
    if (Array.isArray(v)) for (const item of v) walk(item, underSecretKey)
    else for (const [key, item] of Object.entries(v)) walk(item, underSecretKey || isSecret(key))
  }
  walk(value, false)
  return found
}
