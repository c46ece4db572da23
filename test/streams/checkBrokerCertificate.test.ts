import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, type Server } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkBrokerCertificate } from '../../src/streams/checkBrokerCertificate.js'
import {
  type BrokerCertificates,
  generateBrokerCertificates,
} from '../../src/testing/kafka/brokerCertificates.js'
import { freeLoopbackPort } from '../../src/testing/kafka/freePort.js'

// A TLS server holding the embedded broker's kind of certificate stands in for a broker: only the handshake matters.
describe('checkBrokerCertificate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'attendance-tls-'))
  let certificates: BrokerCertificates
  let server: Server
  let broker: string

  beforeAll(async () => {
    certificates = await generateBrokerCertificates(dir)
    server = createServer(
      { pfx: readFileSync(certificates.keystoreFile), passphrase: certificates.keystorePassword },
      (socket) => socket.end(),
    )
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    broker = `127.0.0.1:${(server.address() as { port: number }).port}`
  })
  afterAll(() => {
    server?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('is satisfied by a certificate signed by the trusted CA', async () => {
    expect(
      await checkBrokerCertificate({ brokers: [broker], ssl: { ca: certificates.caPem } }),
    ).toBeUndefined()
  })

  it('names the broker and the verification failure when the CA is not trusted', async () => {
    const fault = await checkBrokerCertificate({ brokers: [broker], ssl: true })
    expect(fault?.code).toBe('KAFKA_CERTIFICATE_UNTRUSTED')
    expect(fault?.context).toEqual({ broker, tlsCode: 'SELF_SIGNED_CERT_IN_CHAIN' })
  })

  it('skips a bootstrap broker that does not answer and checks the next; says nothing when none answers or TLS is off', async () => {
    const closed = `127.0.0.1:${await freeLoopbackPort()}`
    expect((await checkBrokerCertificate({ brokers: [closed, broker], ssl: true }))?.context).toEqual({
      broker,
      tlsCode: 'SELF_SIGNED_CERT_IN_CHAIN',
    })
    expect(await checkBrokerCertificate({ brokers: [closed], ssl: true })).toBeUndefined()
    expect(await checkBrokerCertificate({ brokers: [broker] })).toBeUndefined()
  })
})
