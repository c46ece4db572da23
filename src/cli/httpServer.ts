import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'

/**
 * The service's operations port: `/metrics` (Prometheus text format from a prom-client registry), `/healthz`
 * (liveness: 503 makes an orchestrator restart the member) and `/readyz` (readiness: 503 while it is not
 * consuming, e.g. before it joined its group or while it drains). Only GET and HEAD; no other paths.
 */

export interface OpsServerOptions {
  /** 0 picks an ephemeral port; the chosen one is in the result. */
  readonly port: number
  /** Default `'127.0.0.1'`: metrics are not for the whole network unless configured so. */
  readonly host?: string
  readonly registry: Registry
  readonly ready: () => boolean
  /** Why the member is not ready, for the /readyz body (e.g. an account's HubSpot outage). */
  readonly notReadyBecause?: () => string | undefined
  readonly healthy: () => boolean
}

export interface OpsServer {
  /** `http://host:port`, with the actual port. */
  readonly url: string
  readonly port: number
  /** Stops listening and closes open connections (keep-alive scrapers would otherwise hold it open). */
  stop(): Promise<void>
}

const TEXT = 'text/plain; charset=utf-8'

export const startOpsServer = async (options: OpsServerOptions): Promise<OpsServer> => {
  const host = options.host ?? '127.0.0.1'
  const server = createServer((request, response) => {
    handle(options, request, response).catch(() => {
      if (!response.headersSent) reply(response, request, 500, TEXT, 'internal error\n')
      else response.destroy()
    })
  })
  await listen(server, options.port, host)
  const { port } = server.address() as AddressInfo
  const urlHost = host.includes(':') ? `[${host}]` : host
  let stopped: Promise<void> | undefined
  return {
    url: `http://${urlHost}:${port}`,
    port,
    stop: () => {
      stopped ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)))
        server.closeAllConnections()
      })
      return stopped
    },
  }
}

const listen = (server: Server, port: number, host: string) =>
  new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error)
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve()
    })
  })

const reason = (check: (() => string | undefined) | undefined): string | undefined => {
  try {
    return check?.()
  } catch {
    return undefined
  }
}

/** A probe that throws counts as "no": a broken check must not report a healthy member. */
const probe = (check: () => boolean): boolean => {
  try {
    return check() === true
  } catch {
    return false
  }
}

const handle = async (options: OpsServerOptions, request: IncomingMessage, response: ServerResponse) => {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname
  const known = path === '/metrics' || path === '/healthz' || path === '/readyz'
  if (!known) return reply(response, request, 404, TEXT, 'not found\n')
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD')
    return reply(response, request, 405, TEXT, 'method not allowed\n')
  }
  if (path === '/metrics') {
    const body = await options.registry.metrics()
    return reply(response, request, 200, options.registry.contentType, body)
  }
  const ok = probe(path === '/healthz' ? options.healthy : options.ready)
  const why = ok || path !== '/readyz' ? undefined : reason(options.notReadyBecause)
  return reply(
    response,
    request,
    ok ? 200 : 503,
    TEXT,
    ok ? 'ok\n' : `unavailable${why === undefined ? '' : `: ${why}`}\n`,
  )
}

const reply = (
  response: ServerResponse,
  request: IncomingMessage,
  status: number,
  contentType: string,
  body: string,
) => {
  response.statusCode = status
  response.setHeader('content-type', contentType)
  response.setHeader('content-length', Buffer.byteLength(body))
  response.setHeader('cache-control', 'no-store')
  response.end(request.method === 'HEAD' ? undefined : body)
}
