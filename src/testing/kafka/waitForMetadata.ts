import { Kafka, logLevel } from 'kafkajs'

/**
 * Resolves once the broker answers a metadata request (describeCluster) — an open port is not enough: a KRaft
 * broker accepts connections before its controller has elected itself and before it can serve metadata.
 * Rejects after `timeoutMs`, or as soon as `abandoned()` says there is no point waiting (the process died).
 */
export const waitForMetadata = async (
  brokers: readonly string[],
  timeoutMs: number,
  abandoned: () => string | undefined = () => undefined,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  const kafka = new Kafka({
    clientId: 'attendance-stream-readiness',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    // A port that accepts connections but never answers would otherwise hold each attempt for 30 s.
    requestTimeout: 2_000,
    retry: { retries: 0 },
  })
  let lastError: unknown
  for (;;) {
    const reason = abandoned()
    if (reason !== undefined) throw new Error(reason)
    const admin = kafka.admin()
    try {
      const cluster = await withDeadline(
        admin.connect().then(() => admin.describeCluster()),
        Math.max(deadline - Date.now(), 1),
      )
      if (cluster.brokers.length > 0) return
    } catch (error) {
      lastError = error
    } finally {
      await admin.disconnect().catch(() => undefined)
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : ''
      throw new Error(`no metadata from ${brokers.join(',')} within ${timeoutMs} ms${detail}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const withDeadline = <A>(work: Promise<A>, ms: number): Promise<A> => {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms)
  })
  work.catch(() => undefined) // settles after we stopped waiting; its error is not ours any more
  return Promise.race([work, expired]).finally(() => clearTimeout(timer))
}
