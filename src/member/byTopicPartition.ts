/** Values by topic, then partition number: how the member keeps per-partition state without string keys. */
export type ByTopicPartition<V> = Map<string, Map<number, V>>

/** Sets the value of one topic's partition, creating the topic's map on first use. */
export const setPartitionValue = <V>(
  map: ByTopicPartition<V>,
  topic: string,
  partition: number,
  value: V,
): void => {
  let byPartition = map.get(topic)
  if (byPartition === undefined) {
    byPartition = new Map()
    map.set(topic, byPartition)
  }
  byPartition.set(partition, value)
}
