import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** The TLS material of the embedded broker's SASL_SSL listener, all of it in the broker's temp folder. */
export interface BrokerCertificates {
  /** The CA's certificate (PEM): what a client trusts to accept the broker. */
  readonly caPem: string
  /** The same PEM, as a file (e.g. for `kafka.ssl.caFile` in a config file). */
  readonly caFile: string
  /** A PKCS#12 keystore holding the broker's private key and its chain (broker certificate, CA). */
  readonly keystoreFile: string
  readonly keystorePassword: string
}

/** `openssl` takes a fraction of a second; `keytool` (always there with a JDK) starts a JVM per step. */
export type CertificateTool = 'openssl' | 'keytool'

// The broker listens on loopback only; clients reach it by IP (kafkajs sends no SNI then) or by name.
const SUBJECT_ALT_NAMES = 'IP:127.0.0.1,DNS:localhost'
const VALIDITY_DAYS = 365

/**
 * Makes a throwaway CA and a broker certificate it signs (EC P-256, SAN 127.0.0.1 and localhost), and packs the
 * broker's key and chain into a PKCS#12 keystore Kafka reads as is. The CA's key never leaves `dir`, which the
 * broker removes on stop. `tool` defaults to openssl when it is on the PATH, else the JDK's keytool next to `java`.
 */
export const generateBrokerCertificates = async (
  dir: string,
  options: { readonly tool?: CertificateTool; readonly java?: string } = {},
): Promise<BrokerCertificates> => {
  const tool = options.tool ?? ((await answers('openssl', ['version'])) ? 'openssl' : 'keytool')
  const keystorePassword = randomBytes(12).toString('hex')
  const files = {
    caFile: join(dir, 'ca.pem'),
    keystoreFile: join(dir, 'broker.p12'),
  }
  if (tool === 'openssl') await withOpenssl(dir, files, keystorePassword)
  else await withKeytool(dir, files, keystorePassword, keytoolBeside(options.java ?? 'java'))
  return { ...files, caPem: readFileSync(files.caFile, 'utf8'), keystorePassword }
}

type Files = { readonly caFile: string; readonly keystoreFile: string }

const withOpenssl = async (dir: string, files: Files, password: string): Promise<void> => {
  const [caKey, brokerKey, csr, brokerPem, extensions] = [
    'ca.key',
    'broker.key',
    'broker.csr',
    'broker.pem',
    'san.ext',
  ].map((name) => join(dir, name)) as [string, string, string, string, string]
  writeFileSync(extensions, `subjectAltName=${SUBJECT_ALT_NAMES}\n`)
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  const days = ['-days', String(VALIDITY_DAYS)]
  await Promise.all([
    run('openssl', [
      'req',
      '-x509',
      ...newKey,
      '-keyout',
      caKey,
      '-out',
      files.caFile,
      ...days,
      '-subj',
      '/CN=attendance-stream embedded Kafka CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]),
    run('openssl', ['req', ...newKey, '-keyout', brokerKey, '-out', csr, '-subj', '/CN=localhost']),
  ])
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    files.caFile,
    '-CAkey',
    caKey,
    '-set_serial',
    `0x${randomBytes(8).toString('hex')}`,
    '-out',
    brokerPem,
    ...days,
    '-extfile',
    extensions,
  ])
  await run(
    'openssl',
    [
      'pkcs12',
      '-export',
      '-in',
      brokerPem,
      '-inkey',
      brokerKey,
      '-certfile',
      files.caFile,
      '-name',
      'broker',
      '-out',
      files.keystoreFile,
      '-passout',
      'env:KEYSTORE_PASSWORD',
    ],
    { KEYSTORE_PASSWORD: password },
  )
}

const withKeytool = async (dir: string, files: Files, password: string, keytool: string): Promise<void> => {
  const caStore = join(dir, 'ca.p12')
  const [csr, chain] = [join(dir, 'broker.csr'), join(dir, 'chain.pem')]
  // Fewer JIT tiers: each step is a short-lived JVM, and start-up is most of its time.
  const common = ['-storetype', 'PKCS12', '-storepass:env', 'KEYSTORE_PASSWORD', '-J-XX:TieredStopAtLevel=1']
  const keytoolRun = (args: string[]) => run(keytool, [...args, ...common], { KEYSTORE_PASSWORD: password })
  const newKey = [
    '-genkeypair',
    '-keyalg',
    'EC',
    '-groupname',
    'secp256r1',
    '-validity',
    String(VALIDITY_DAYS),
  ]
  await Promise.all([
    keytoolRun([
      ...newKey,
      '-alias',
      'ca',
      '-dname',
      'CN=attendance-stream embedded Kafka CA',
      '-ext',
      'bc:c',
      '-keystore',
      caStore,
    ]),
    keytoolRun([...newKey, '-alias', 'broker', '-dname', 'CN=localhost', '-keystore', files.keystoreFile]),
  ])
  await Promise.all([
    keytoolRun(['-certreq', '-alias', 'broker', '-keystore', files.keystoreFile, '-file', csr]),
    keytoolRun(['-exportcert', '-rfc', '-alias', 'ca', '-keystore', caStore, '-file', files.caFile]),
  ])
  const signed = join(dir, 'broker.pem')
  await keytoolRun([
    '-gencert',
    '-rfc',
    '-alias',
    'ca',
    '-keystore',
    caStore,
    '-infile',
    csr,
    '-outfile',
    signed,
    '-validity',
    String(VALIDITY_DAYS),
    '-ext',
    `SAN=${SUBJECT_ALT_NAMES}`,
  ])
  // The signed certificate followed by the CA's: keytool installs it as the key's chain (a "certificate reply").
  writeFileSync(chain, readFileSync(signed, 'utf8') + readFileSync(files.caFile, 'utf8'))
  await keytoolRun([
    '-importcert',
    '-noprompt',
    '-alias',
    'broker',
    '-keystore',
    files.keystoreFile,
    '-file',
    chain,
  ])
}

const keytoolBeside = (java: string): string => (java.includes('/') ? join(java, '..', 'keytool') : 'keytool')

/** Whether `command` runs and exits 0. */
const answers = (command: string, args: string[]): Promise<boolean> =>
  run(command, args).then(
    () => true,
    () => false,
  )

const run = (command: string, args: string[], env: Record<string, string> = {}): Promise<void> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
    })
    child.once('error', reject)
    child.once('exit', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args[0]} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`)),
    )
  })
