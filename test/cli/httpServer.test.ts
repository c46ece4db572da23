import { createServer } from 'node:net'
import { Counter, Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import type { OpsServer } from '../../src/cli/httpServer.js'
import { startOpsServer } from '../../src/cli/httpServer.js'

const started: OpsServer[] = []
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()))
})

const start = async (
  overrides: { ready?: () => boolean; healthy?: () => boolean; registry?: Registry } = {},
) => {
  const registry = overrides.registry ?? new Registry()
  const server = await startOpsServer({
    port: 0,
    host: '127.0.0.1',
    registry,
    ready: overrides.ready ?? (() => true),
    healthy: overrides.healthy ?? (() => true),
  })
  started.push(server)
  return server
}

describe('startOpsServer', () => {
  it('serves the registry in Prometheus text format on /metrics', async () => {
    const registry = new Registry()
    const counter = new Counter({ name: 'records_total', help: 'Records consumed', registers: [registry] })
    counter.inc(3)
    const server = await start({ registry })
    expect(server.port).toBeGreaterThan(0)
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`)
    const response = await fetch(`${server.url}/metrics`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(await response.text()).toBe(
      '# HELP records_total Records consumed\n# TYPE records_total counter\nrecords_total 3\n',
    )
  })

  it('answers /healthz and /readyz from the callbacks, each time they are asked', async () => {
    let ready = false
    let healthy = true
    const server = await start({ ready: () => ready, healthy: () => healthy })
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503)
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    ready = true
    healthy = false
    const readyz = await fetch(`${server.url}/readyz`)
    expect(readyz.status).toBe(200)
    expect(await readyz.text()).toBe('ok\n')
    const healthz = await fetch(`${server.url}/healthz`)
    expect(healthz.status).toBe(503)
    expect(await healthz.text()).toBe('unavailable\n')
  })

  it('treats a throwing probe as unavailable', async () => {
    const server = await start({
      healthy: () => {
        throw new Error('probe broke')
      },
    })
    expect((await fetch(`${server.url}/healthz`)).status).toBe(503)
  })

  it('answers 404 for other paths, 405 for other methods, and ignores query strings', async () => {
    const server = await start()
    expect((await fetch(`${server.url}/`)).status).toBe(404)
    expect((await fetch(`${server.url}/metrics/extra`)).status).toBe(404)
    expect((await fetch(`${server.url}/readyz?verbose=1`)).status).toBe(200)
    const post = await fetch(`${server.url}/metrics`, { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
    const head = await fetch(`${server.url}/healthz`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })

  it('answers 500 when the registry fails to collect', async () => {
    const registry = new Registry()
    new Counter({
      name: 'broken_total',
      help: 'A collect callback that throws',
      registers: [registry],
      collect() {
        throw new Error('collect failed')
      },
    })
    const server = await start({ registry })
    const response = await fetch(`${server.url}/metrics`)
    expect(response.status).toBe(500)
    expect(await response.text()).toBe('internal error\n')
  })

  it('stops listening on stop(), even with a keep-alive connection open', async () => {
    const server = await start()
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    await server.stop()
    await server.stop()
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow()
  })

  it('rejects when the port is taken', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const address = blocker.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    try {
      await expect(
        startOpsServer({
          port,
          host: '127.0.0.1',
          registry: new Registry(),
          ready: () => true,
          healthy: () => true,
        }),
      ).rejects.toMatchObject({ code: 'EADDRINUSE' })
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()))
    }
  })
})
