import { Secret } from '../../secret.js'
import type { CallFailure } from './callResult.js'

/**
 * Where the client's bearer token comes from: a static token, an OAuth refresh flow (contract §5), or a
 * function of the user's (a secret manager). One role: hand out the token to send now, and replace it when
 * HubSpot says it expired. Concurrent callers share one refresh; time comes from the injected clock.
 */

/** A function that returns a current access token (e.g. from a secret manager). Called again after a 401. */
export type TokenProvider = () => Promise<string | Secret>

/** An OAuth app's credentials: `POST /oauth/v1/token` with `grant_type=refresh_token` gives access tokens. */
export interface OAuthCredentials {
  readonly clientId: string | Secret
  readonly clientSecret: string | Secret
  readonly refreshToken: string | Secret
}

/** What the token endpoint answered, as the source needs it. */
export type TokenGrant =
  | {
      readonly _tag: 'granted'
      readonly accessToken: string
      readonly refreshToken: string | undefined
      readonly expiresInMs: number
    }
  | { readonly _tag: 'refused'; readonly failure: CallFailure }

/** Sends one refresh request (the client's pool and base URL); never throws. */
export type RequestGrant = (form: string) => Promise<TokenGrant>

export type TokenLookup =
  | { readonly _tag: 'token'; readonly value: string }
  | { readonly _tag: 'failure'; readonly failure: CallFailure }

/** Refreshes and 401s seen, for tests and metrics. */
export interface TokenStats {
  /** Token requests that gave a new access token (or provider calls that did). */
  readonly refreshes: number
  readonly refreshFailures: number
  /** 401 EXPIRED_AUTHENTICATION answers that led to a refresh. */
  readonly expiredAnswers: number
}

export interface AccessTokenSource {
  /** The token to send now; refreshes first when there is none or it expires within the refresh margin. */
  current(): Promise<TokenLookup>
  /**
   * HubSpot answered 401 EXPIRED_AUTHENTICATION to a request that carried `used`. That token is never handed out
   * again; resolves to the replacement (shared with every caller that saw the same token expire), or to a
   * failure when the source cannot refresh.
   */
  expired(used: string): Promise<TokenLookup>
  /** Every secret the source holds or held (tokens, client secret, refresh tokens), for the client's redactor. */
  secrets(): readonly string[]
  stats(): TokenStats
}

// A provider that fails is taken as a transient fault of the way to the credentials (a secret manager that is
// down), retried like a network fault: `unauthenticated` would make the sink stop the whole account.
const providerFailure = (message: string, retryable: boolean): CallFailure => ({
  _tag: 'failure',
  kind: 'network',
  retryable,
  message,
  rateLimit: {},
  details: [],
})

const reveal = (s: string | Secret): string => Secret.of(s).reveal()

// Refresh this long before `expires_in` ends: a tenth of the token's life, at most a minute (HubSpot's tokens
// live ~30 minutes), so that clock skew and a request's time in flight do not make us send a dying token.
const refreshMarginMs = (lifetimeMs: number): number => Math.min(60_000, lifetimeMs / 10)

// Access tokens seen over the process's life: the last few are enough to scrub late echoes of old ones.
const KEEP_OLD_TOKENS = 8

/** The state every kind of source shares: the cached token, the one refresh in flight, the counters. */
abstract class CachingSource implements AccessTokenSource {
  protected token: string | undefined
  protected validUntil = Number.POSITIVE_INFINITY
  private refreshing: Promise<TokenLookup> | undefined
  private readonly seen: string[] = []
  private refreshCount = 0
  private failureCount = 0
  private expiredCount = 0

  constructor(protected readonly now: () => number) {}

  protected abstract fetch(): Promise<TokenLookup>
  protected abstract heldSecrets(): string[]

  current(): Promise<TokenLookup> {
    if (this.token !== undefined && this.now() < this.validUntil)
      return Promise.resolve({ _tag: 'token', value: this.token })
    return this.refresh()
  }

  expired(used: string): Promise<TokenLookup> {
    if (this.token === used) {
      this.expiredCount++
      this.token = undefined
    }
    return this.current()
  }

  secrets(): readonly string[] {
    return [...this.heldSecrets(), ...this.seen]
  }

  stats(): TokenStats {
    return {
      refreshes: this.refreshCount,
      refreshFailures: this.failureCount,
      expiredAnswers: this.expiredCount,
    }
  }

  protected remember(token: string): void {
    this.seen.push(token)
    if (this.seen.length > KEEP_OLD_TOKENS) this.seen.shift()
  }

  private refresh(): Promise<TokenLookup> {
    // One refresh at a time: every caller that finds the token missing or dying waits for the same one.
    this.refreshing ??= this.fetch()
      .then((lookup) => {
        if (lookup._tag === 'token') this.refreshCount++
        else this.failureCount++
        return lookup
      })
      .finally(() => {
        this.refreshing = undefined
      })
    return this.refreshing
  }
}

class StaticSource implements AccessTokenSource {
  constructor(private readonly token: string) {}
  current(): Promise<TokenLookup> {
    return Promise.resolve({ _tag: 'token', value: this.token })
  }
  expired(): Promise<TokenLookup> {
    return Promise.resolve({
      _tag: 'failure',
      failure: providerFailure('the token expired and a static token cannot be refreshed', false),
    })
  }
  secrets(): readonly string[] {
    return [this.token]
  }
  stats(): TokenStats {
    return { refreshes: 0, refreshFailures: 0, expiredAnswers: 0 }
  }
}

class ProviderSource extends CachingSource {
  constructor(
    private readonly provide: TokenProvider,
    now: () => number,
  ) {
    super(now)
  }

  protected async fetch(): Promise<TokenLookup> {
    let value: string
    try {
      value = reveal(await this.provide())
    } catch (e) {
      // The provider's message may quote a credential: only its error's name is kept.
      return {
        _tag: 'failure',
        failure: providerFailure(
          `the token provider failed (${e instanceof Error ? e.name : typeof e})`,
          true,
        ),
      }
    }
    if (typeof value !== 'string' || value === '')
      return { _tag: 'failure', failure: providerFailure('the token provider gave no token', true) }
    this.token = value
    this.remember(value)
    return { _tag: 'token', value }
  }

  protected heldSecrets(): string[] {
    return this.token === undefined ? [] : [this.token]
  }
}

class OAuthSource extends CachingSource {
  private readonly clientId: string
  private readonly clientSecret: string
  private refreshToken: string
  private readonly refreshTokens: string[] = []

  constructor(
    credentials: OAuthCredentials,
    private readonly requestGrant: RequestGrant,
    now: () => number,
  ) {
    super(now)
    this.clientId = reveal(credentials.clientId)
    this.clientSecret = reveal(credentials.clientSecret)
    this.refreshToken = reveal(credentials.refreshToken)
    this.refreshTokens.push(this.refreshToken)
  }

  protected async fetch(): Promise<TokenLookup> {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: this.clientId,
      client_secret: this.clientSecret,
      refresh_token: this.refreshToken,
    }).toString()
    const askedAt = this.now()
    const grant = await this.requestGrant(form)
    if (grant._tag === 'refused') return { _tag: 'failure', failure: grant.failure }
    // A rotated refresh token replaces the old one for the rest of the process's life (contract §5).
    if (grant.refreshToken !== undefined && grant.refreshToken !== this.refreshToken) {
      this.refreshToken = grant.refreshToken
      this.refreshTokens.push(grant.refreshToken)
    }
    this.token = grant.accessToken
    this.remember(grant.accessToken)
    // Counted from when we asked: the token may have been issued at any moment until the answer arrived.
    this.validUntil = askedAt + grant.expiresInMs - refreshMarginMs(grant.expiresInMs)
    return { _tag: 'token', value: grant.accessToken }
  }

  protected heldSecrets(): string[] {
    return [this.clientId, this.clientSecret, ...this.refreshTokens]
  }
}

/** How the client authenticates: exactly one of a token (static or a provider) and OAuth credentials. */
export interface TokenSourceOptions {
  readonly token?: string | Secret | TokenProvider | undefined
  readonly oauth?: OAuthCredentials | undefined
}

export const createTokenSource = (
  options: TokenSourceOptions,
  requestGrant: RequestGrant,
  now: () => number,
): AccessTokenSource => {
  if (options.oauth !== undefined) return new OAuthSource(options.oauth, requestGrant, now)
  const token = options.token
  if (typeof token === 'function') return new ProviderSource(token, now)
  return new StaticSource(reveal(token as string | Secret))
}
