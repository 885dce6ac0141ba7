// Per-name counters for the local servers' `/__stats` (commands by name,
// statements by kind). Tests assert round trips with these, so they must be exact.

/** A bag of named counters. */
export interface Tally {
  /** Adds one to `name`. */
  add(name: string): void;
  /** A copy of the counters, sorted by name for stable output. */
  snapshot(): Record<string, number>;
  reset(): void;
}

/**
 * Creates an empty tally.
 * @example const commands = createTally(); commands.add('GET'); commands.snapshot(); // { GET: 1 }
 */
export function createTally(): Tally {
  let counts = new Map<string, number>();
  return {
    add(name) {
      counts.set(name, (counts.get(name) ?? 0) + 1);
    },
    snapshot() {
      return Object.fromEntries([...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    },
    reset() {
      counts = new Map();
    },
  };
}
