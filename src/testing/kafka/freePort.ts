import { createServer } from 'node:net'

/**
 * A loopback port that was free a moment ago. Someone else may take it before we bind it, so callers that
 * start servers on it retry on "address in use" (see localKafkaBroker.ts).
 */
export const freeLoopbackPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not read the bound port'))))
    })
  })
