// Counter arithmetic both benchmarks share: what changed between two readings,
// and what a burst's logged row writes say about one user's lock hand-offs.

/**
 * Named counters that moved between two readings, by how much.
 * @example difference({ SELECT: 3, UPDATE: 1 }, { SELECT: 1, UPDATE: 1 }) // { SELECT: 2 }
 */
export function difference(
  after: Record<string, number>,
  before: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(after)) if (n !== (before[k] ?? 0)) out[k] = n - (before[k] ?? 0);
  return out;
}

/**
 * Rows written, the most-written user's count and the mean gap between one user's consecutive
 * writes (null when no user was written twice): under a row lock, the hand-off time.
 * @example writeFigures([{ userId: 1, atMs: 0 }, { userId: 1, atMs: 30 }]) // { rows: 2, maxRowsPerUser: 2, writeSpacingMs: 30 }
 */
export function writeFigures(writes: readonly { userId: string | number; atMs: number }[]) {
  const times = new Map<string | number, number[]>();
  for (const w of writes) times.set(w.userId, [...(times.get(w.userId) ?? []), w.atMs]);
  const gaps = [...times.values()]
    .filter((t) => t.length > 1)
    .map((t) => (Math.max(...t) - Math.min(...t)) / (t.length - 1));
  return {
    rows: writes.length,
    maxRowsPerUser: Math.max(0, ...[...times.values()].map((t) => t.length)),
    writeSpacingMs: gaps.length > 0 ? gaps.reduce((a, b) => a + b, 0) / gaps.length : null,
  };
}
