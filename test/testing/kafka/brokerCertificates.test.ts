import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, createServer, type Server } from 'node:tls'
import { afterAll, describe, expect, it } from 'vitest'
import {
  type CertificateTool,
  generateBrokerCertificates,
} from '../../../src/testing/kafka/brokerCertificates.js'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** Whether a client trusting only `ca` completes a handshake with a server holding the keystore, at 127.0.0.1. */
const handshake = async (pfx: Buffer, passphrase: string, ca: string | undefined): Promise<string> => {
  const server: Server = createServer({ pfx, passphrase }, (socket) => socket.end())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  try {
    return await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, ...(ca === undefined ? {} : { ca }) })
      socket.once('secureConnect', () => {
        socket.destroy()
        resolve('trusted')
      })
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(String(error.code)))
    })
  } finally {
    server.close()
  }
}

// Both ways of making them, each checked the way a client sees the broker: a TLS server from the keystore.
describe.each(['openssl', 'keytool'] as CertificateTool[])('generateBrokerCertificates with %s', (tool) => {
  it('makes a CA and a PKCS#12 keystore whose certificate the CA signed for 127.0.0.1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attendance-certs-'))
    dirs.push(dir)
    const made = await generateBrokerCertificates(dir, { tool })
    expect(made.caPem).toMatch(/^-----BEGIN CERTIFICATE-----\n/)
    expect(readFileSync(made.caFile, 'utf8')).toBe(made.caPem)
    const pfx = readFileSync(made.keystoreFile)
    expect(await handshake(pfx, made.keystorePassword, made.caPem)).toBe('trusted')
    // Without the CA the same certificate is refused: it is the CA, not a public root, that vouches for it.
    expect(await handshake(pfx, made.keystorePassword, undefined)).toBe('SELF_SIGNED_CERT_IN_CHAIN')
  })
})
