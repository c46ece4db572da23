/**
 * Completion marks: which records above a partition's committed offset are already done, carried in the
 * commit's metadata string.
 *
 * Kafka commits one offset per partition — the lowest unfinished record — yet batches finish out of order, so
 * much of what lies above that offset is often done already. Without more, whoever reads the partition next (a
 * new owner after a rebalance, or this member after a restart) redoes all of it. With the marks it skips what
 * the marks say is done, the way the committed offset lets it skip what lies below. A mark is only ever set for
 * a record whose outcome record Kafka acknowledged, so skipping it loses nothing.
 *
 * The format: `as1:` followed by base64url of a bitmap whose bit `i` (least significant bit first) says offset
 * `committed + 1 + i` is done (the committed offset itself is unfinished by definition). Bits past
 * `MAX_MARK_BYTES` are dropped, which only means those records may be done twice. Metadata in any other format
 * (another tool's) is ignored.
 */

const PREFIX = 'as1:'
/** Bitmap bytes at most: well under the broker's `offset.metadata.max.bytes` (4,096) once base64-encoded. */
export const MAX_MARK_BYTES = 2_400

/** The metadata for a commit at `committed` when the offsets in `done` (all above it) are finished. */
export const encodeCompletionMarks = (committed: bigint, done: Iterable<bigint>): string | undefined => {
  const bytes = new Uint8Array(MAX_MARK_BYTES)
  let used = 0
  for (const offset of done) {
    const bit = offset - committed - 1n
    if (bit < 0n || bit >= BigInt(MAX_MARK_BYTES * 8)) continue
    const i = Number(bit)
    const byte = i >>> 3
    bytes[byte] = (bytes[byte] as number) | (1 << (i & 7))
    if (byte + 1 > used) used = byte + 1
  }
  return used === 0 ? undefined : PREFIX + Buffer.from(bytes.subarray(0, used)).toString('base64url')
}

/** The offsets a commit at `committed` with `metadata` marks as done; empty for anything not ours. */
export const decodeCompletionMarks = (
  committed: bigint,
  metadata: string | null | undefined,
): Set<bigint> => {
  const done = new Set<bigint>()
  if (typeof metadata !== 'string' || !metadata.startsWith(PREFIX)) return done
  const bytes = Buffer.from(metadata.slice(PREFIX.length), 'base64url')
  const limit = Math.min(bytes.length, MAX_MARK_BYTES)
  for (let byte = 0; byte < limit; byte++) {
    const bits = bytes[byte] as number
    if (bits === 0) continue
    for (let bit = 0; bit < 8; bit++) {
      if ((bits & (1 << bit)) !== 0) done.add(committed + 1n + BigInt(byte * 8 + bit))
    }
  }
  return done
}
