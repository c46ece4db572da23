import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AttendanceStreamError } from '../../../src/errors.js'
import { javaMajorVersion } from '../../../src/testing/kafka/kafkaJars.js'
import { startKafka } from '../../../src/testing/kafka/startKafka.js'

describe('startKafka', () => {
  it('fails with one message naming every way out when there is no Java, no container runtime and no KAFKA_BROKERS', async () => {
    const saved = process.env['JAVA_HOME']
    process.env['JAVA_HOME'] = '/nonexistent-jdk'
    try {
      const error = await startKafka({ env: {}, cacheDir: '/nonexistent-cache', containerProbeMs: 200 }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(AttendanceStreamError)
      expect((error as AttendanceStreamError).code).toBe('BROKER_START_FAILED')
      expect((error as Error).message).toBe(
        'no Kafka broker available: Java 17+ is required to run the embedded Kafka broker, and none was found. ' +
          'Install Java 17+ and Maven (for the embedded broker), or a container runtime (Docker/Podman), ' +
          'or set KAFKA_BROKERS=host:port of a running broker.',
      )
    } finally {
      if (saved === undefined) delete process.env['JAVA_HOME']
      else process.env['JAVA_HOME'] = saved
    }
  })

  it('does not wait forever for a KAFKA_BROKERS address that is not a Kafka broker', async () => {
    // A port that accepts connections but never speaks Kafka.
    const silent = createServer((socket) => socket.on('error', () => undefined))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const address = silent.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    try {
      const started = Date.now()
      await expect(
        startKafka({ env: { KAFKA_BROKERS: `127.0.0.1:${port}` }, startTimeoutMs: 1 }),
      ).rejects.toThrow(/no metadata from 127\.0\.0\.1:\d+ within/)
      expect(Date.now() - started).toBeLessThan(5_000)
    } finally {
      silent.close()
    }
  })
})

describe('javaMajorVersion', () => {
  const fakeJava = (versionLine: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-java-'))
    const path = join(dir, 'java')
    writeFileSync(path, `#!/bin/sh\necho '${versionLine}' >&2\n`, { mode: 0o755 })
    return path
  }

  it('reads modern and 1.x version strings, and undefined when java cannot run', async () => {
    expect(await javaMajorVersion(fakeJava('openjdk version "17.0.15" 2025-04-15'))).toBe(17)
    expect(await javaMajorVersion(fakeJava('openjdk version "21" 2023-09-19'))).toBe(21)
    expect(await javaMajorVersion(fakeJava('java version "1.8.0_292"'))).toBe(8)
    expect(await javaMajorVersion('/nonexistent/java')).toBeUndefined()
  })
})
