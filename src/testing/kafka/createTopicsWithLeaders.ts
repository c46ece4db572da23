import type { Admin } from 'kafkajs'

/**
 * Creates topics and resolves once every partition of each has a leader. kafkajs's own `waitForLeaders` is not
 * enough: right after a KRaft broker starts, its metadata answer for a topic just created can be
 * UNKNOWN_TOPIC_OR_PARTITION, which kafkajs does not retry (it retries only LEADER_NOT_AVAILABLE), so the first
 * topic of a test run or a benchmark failed now and then. Topics that already exist are left as they are.
 */
export const createTopicsWithLeaders = async (
  admin: Admin,
  topics: readonly { readonly topic: string; readonly numPartitions: number }[],
  timeoutMs = 60_000,
): Promise<void> => {
  await admin.createTopics({ topics: [...topics], waitForLeaders: false })
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const metadata = await admin
      .fetchTopicMetadata({ topics: topics.map((t) => t.topic) })
      .catch((error: unknown) => {
        if (Date.now() > deadline) throw error
        return undefined
      })
    const ready = topics.every(({ topic, numPartitions }) => {
      const partitions = metadata?.topics.find((t) => t.name === topic)?.partitions ?? []
      return partitions.length === numPartitions && partitions.every((p) => p.leader >= 0)
    })
    if (ready) return
    if (Date.now() > deadline) {
      throw new Error(
        `no leader for every partition of ${topics.map((t) => t.topic).join(', ')} in ${timeoutMs} ms`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
