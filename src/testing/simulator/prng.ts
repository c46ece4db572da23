/**
 * A small seeded PRNG (mulberry32): the simulator's random faults and latencies must replay exactly for a
 * given seed and request order, which `Math.random` cannot do.
 */
export type Random = () => number

export const seededRandom = (seed: number): Random => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}
