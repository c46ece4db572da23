/** Nearest-rank percentile of an ascending array (0 when empty). */
export const percentile = (sorted: readonly number[], p: number): number => {
  if (sorted.length === 0) return 0
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] as number
}

export const ascending = (xs: Iterable<number>): number[] => [...xs].sort((a, b) => a - b)

/** Events per second over `ms`, rounded to a whole number. */
export const perSecond = (count: number, ms: number): number =>
  ms <= 0 ? 0 : Math.round((count / ms) * 1000)

export const round = (x: number, digits = 2): number => {
  const f = 10 ** digits
  return Math.round(x * f) / f
}
