/**
 * The per-isolate first-level cache: a bounded map whose entries live a
 * fixed time from when they were written (a hit does not extend them), and
 * which forgets the least recently used entry when full. Values are plain
 * data, so any request of the isolate may read what another wrote.
 *
 * @example
 * const l1 = createL1<string>({ maxEntries: 10_000, ttlMs: 2_000 });
 * l1.set('s1', 'v'); l1.get('s1') // 'v' for two seconds
 */
export function createL1<V>(options: { maxEntries: number; ttlMs: number; now?: () => number }) {
  const { maxEntries, ttlMs } = options;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { value: V; expiresAt: number }>();

  function get(key: string): V | undefined {
    const item = entries.get(key);
    if (!item) return undefined;
    if (item.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    // Re-insert: Map keeps insertion order, so the first key is the least recently used.
    entries.delete(key);
    entries.set(key, item);
    return item.value;
  }

  /**
   * An isolate that sees many sessions would otherwise hold expired entries until `maxEntries`
   * newer ones push them out: memory for nothing, and a larger heap for every garbage collection.
   * Each write drops a few at the least recently used end, where expired entries gather.
   */
  function dropExpired(at: number): void {
    let dropped = 0;
    for (const [key, item] of entries) {
      if (item.expiresAt > at || dropped === 4) return;
      entries.delete(key);
      dropped++;
    }
  }

  return {
    get,
    /** Stores `value`; with `ifAbsent`, only where no live entry is (like SET NX). */
    set(key: string, value: V, options: { ifAbsent?: boolean } = {}): void {
      if (options.ifAbsent && get(key) !== undefined) return;
      const at = now();
      entries.delete(key);
      entries.set(key, { value, expiresAt: at + ttlMs });
      dropExpired(at);
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
    },
    get size() {
      return entries.size;
    },
  };
}

export type L1<V> = ReturnType<typeof createL1<V>>;
