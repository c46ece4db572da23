import { lastValueFrom, map, range, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { kafkaJsPort } from '../../src/member/kafkaJsPort.js'
import type { OutcomeMessage } from '../../src/member/outcomeMessage.js'
import { produceOutcomes } from '../../src/member/produceOutcomes.js'
import { endOffsets } from '../../src/testing/outcomeAudit.js'
import { createTopic, testKafka, uniqueName, withAdmin } from '../support/kafka.js'

describe('produceOutcomes through the kafkajs port, on the real broker', () => {
  it('writes a burst far larger than one request may be into a single partition, without MESSAGE_TOO_LARGE', async () => {
    const topic = uniqueName('outcomes')
    await createTopic(topic, 1)
    const { producer } = kafkaJsPort({ kafka: testKafka(), groupId: uniqueName('unused'), topics: [] })
    await producer.connect()
    try {
      // 6,000 outcomes of ~1 kB arrive at once: 6 MB waiting, against the broker's 1 MiB per partition batch.
      const groups = await lastValueFrom(
        range(0, 6_000).pipe(
          map(
            (n): OutcomeMessage => ({
              topic,
              key: Buffer.from(`k${n}`),
              value: JSON.stringify({ n, pad: 'x'.repeat(1_000) }),
              headers: { 'source-offset': String(n) },
              source: {
                topic: 'in',
                partition: 0,
                offset: String(n),
                timestamp: '0',
                key: `k${n}`,
                value: null,
              },
              kind: 'result',
            }),
          ),
          produceOutcomes((group) => producer.send(group)),
          toArray(),
        ),
      )
      expect(groups.reduce((n, g) => n + g.length, 0)).toBe(6_000)
      expect(groups.length).toBeGreaterThan(6)
      const ends = await withAdmin((admin) => endOffsets(admin, [topic]))
      expect(ends.get(`${topic}/0`)).toBe(6_000n)
    } finally {
      await producer.disconnect()
    }
  })
})
