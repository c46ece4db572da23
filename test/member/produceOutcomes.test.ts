import { Subject } from 'rxjs'
import { describe, expect, it } from 'vitest'
import type { OutcomeMessage } from '../../src/member/outcomeMessage.js'
import { produceOutcomes } from '../../src/member/produceOutcomes.js'

interface Send {
  readonly messages: readonly OutcomeMessage[]
  /** The request as a kafkajs producer would see it: messages grouped by topic. */
  readonly batch: { topicMessages: { topic: string; messages: unknown[] }[] }
  readonly ack: () => void
  readonly fail: (e: Error) => void
}

/** A send function whose requests stay pending until the test acknowledges or fails them. */
const fakeProducer = () => {
  const sends: Send[] = []
  let inFlight = 0
  let maxInFlight = 0
  const producer = (messages: readonly OutcomeMessage[]) =>
    new Promise<void>((resolve, reject) => {
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      const topics = new Map<string, unknown[]>()
      for (const m of messages) topics.set(m.topic, [...(topics.get(m.topic) ?? []), m])
      sends.push({
        messages,
        batch: { topicMessages: [...topics].map(([topic, list]) => ({ topic, messages: list })) },
        ack: () => {
          inFlight--
          resolve()
        },
        fail: (e) => {
          inFlight--
          reject(e)
        },
      })
    })
  return { producer, sends, maxInFlight: () => maxInFlight }
}

const message = (n: number, topic = 'results'): OutcomeMessage => ({
  topic,
  key: Buffer.from(`k${n}`),
  value: `{"n":${n}}`,
  headers: { 'source-offset': String(n) },
  source: { topic: 'in', partition: 0, offset: String(n), timestamp: '0', key: `k${n}`, value: null },
  kind: topic === 'results' ? 'result' : 'error',
})

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms))

describe('produceOutcomes', () => {
  it('keeps one request in flight, coalesces what arrives meanwhile, and emits each group only after its ack', async () => {
    const { producer, sends, maxInFlight } = fakeProducer()
    const input = new Subject<OutcomeMessage>()
    const acked: number[][] = []
    let completed = false
    input.pipe(produceOutcomes(producer, { lingerMs: 1 })).subscribe({
      next: (group) => acked.push(group.map((m) => Number(m.source.offset))),
      complete: () => {
        completed = true
      },
    })
    input.next(message(0))
    await tick(10)
    expect(sends).toHaveLength(1)
    for (let n = 1; n <= 5; n++) input.next(message(n, n % 2 === 0 ? 'results' : 'errors'))
    await tick(10)
    expect(sends).toHaveLength(1) // still waiting for the first ack
    expect(acked).toEqual([])
    sends[0]?.ack()
    await tick(10)
    expect(acked).toEqual([[0]])
    expect(sends).toHaveLength(2)
    // The five that waited go in one request, grouped by topic, with their keys and headers.
    expect(sends[1]?.batch.topicMessages?.map((t) => [t.topic, t.messages.length])).toEqual([
      ['errors', 3],
      ['results', 2],
    ])
    expect((sends[1]?.batch.topicMessages?.[1]?.messages[0] as OutcomeMessage).headers).toEqual({
      'source-offset': '2',
    })
    input.complete()
    await tick(10)
    expect(completed).toBe(false) // not before the last group is acknowledged
    sends[1]?.ack()
    await tick(10)
    expect(acked).toEqual([[0], [1, 2, 3, 4, 5]])
    expect(completed).toBe(true)
    expect(maxInFlight()).toBe(1)
  })

  it('splits what waited into requests of at most maxMessages', async () => {
    const { producer, sends } = fakeProducer()
    const input = new Subject<OutcomeMessage>()
    const sizes: number[] = []
    input
      .pipe(produceOutcomes(producer, { lingerMs: 1, maxMessages: 3 }))
      .subscribe((g) => sizes.push(g.length))
    for (let n = 0; n < 3; n++) input.next(message(n))
    expect(sends).toHaveLength(1) // full: sent at once, no linger
    for (let n = 3; n < 10; n++) input.next(message(n))
    input.complete()
    for (let i = 0; i < 4; i++) {
      sends[i]?.ack()
      await tick(5)
    }
    expect(sizes).toEqual([3, 3, 3, 1])
  })

  it('keeps each request under maxRequestBytes, and sends a message larger than that alone', async () => {
    const { producer, sends } = fakeProducer()
    const input = new Subject<OutcomeMessage>()
    const sizes: number[] = []
    // Each message is 70 (allowance) + 2 (key) + 8 (value) + 13 + 1 (header) = 94 bytes.
    input
      .pipe(produceOutcomes(producer, { lingerMs: 1, maxRequestBytes: 200 }))
      .subscribe((g) => sizes.push(g.length))
    input.next(message(0))
    await tick(10) // the first goes alone, and is in flight while the rest arrive
    for (let n = 1; n < 5; n++) input.next(message(n))
    input.next({ ...message(5), value: 'x'.repeat(500) })
    input.next(message(6))
    input.complete()
    for (let i = 0; i < 6; i++) {
      sends[i]?.ack()
      await tick(5)
    }
    expect(sizes).toEqual([1, 2, 2, 1, 1])
    expect(sends).toHaveLength(5)
  })

  it('sends a failed request again after a growing backoff, and emits the group once it is acknowledged', async () => {
    const { producer, sends } = fakeProducer()
    const input = new Subject<OutcomeMessage>()
    const groups: number[][] = []
    const retries: [string, number, number][] = []
    input
      .pipe(
        produceOutcomes(producer, {
          lingerMs: 1,
          retryDelayMs: 2,
          maxRetryDelayMs: 4,
          onRetry: (e, attempt, delayMs) => retries.push([(e as Error).message, attempt, delayMs]),
        }),
      )
      .subscribe((g) => groups.push(g.map((m) => Number(m.source.offset))))
    input.next(message(0))
    await tick(10)
    sends[0]?.fail(new Error('broker gone'))
    await tick(10)
    expect(groups).toEqual([])
    input.next(message(1)) // waits behind the request being retried
    sends[1]?.fail(new Error('broker gone'))
    await tick(10)
    sends[2]?.fail(new Error('broker gone'))
    await tick(10)
    expect(sends.slice(0, 4).map((s) => s.messages.map((m) => m.source.offset))).toEqual([
      ['0'],
      ['0'],
      ['0'],
      ['0'],
    ])
    expect(retries).toEqual([
      ['broker gone', 1, 2],
      ['broker gone', 2, 4],
      ['broker gone', 3, 4],
    ])
    sends[3]?.ack()
    await tick(10)
    sends[4]?.ack()
    await tick(10)
    expect(groups).toEqual([[0], [1]])
  })

  it('passes a source error through and sends nothing more after unsubscribe', async () => {
    const { producer, sends } = fakeProducer()
    const input = new Subject<OutcomeMessage>()
    let failure: unknown
    const subscription = input.pipe(produceOutcomes(producer, { lingerMs: 5 })).subscribe({
      error: (e) => {
        failure = e
      },
    })
    input.next(message(0))
    subscription.unsubscribe()
    await tick(20)
    expect(sends).toHaveLength(0) // the linger timer was cancelled with the subscription
    expect(input.observed).toBe(false)

    const again = new Subject<OutcomeMessage>()
    again.pipe(produceOutcomes(producer)).subscribe({
      error: (e) => {
        failure = e
      },
    })
    again.error(new Error('upstream fault'))
    expect((failure as Error).message).toBe('upstream fault')
  })
})
