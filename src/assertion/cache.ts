/** A per-isolate map that forgets its oldest entry once it holds `maxEntries`. */
export interface BoundedCache<V> {
  get(key: string): V | undefined;
  /** Stores `value`, replacing any entry for `key`, then evicts the oldest entries beyond the bound. */
  set(key: string, value: V): void;
  readonly size: number;
}

/**
 * Builds a bounded cache. A `Map` keeps insertion order, so its first key is
 * the oldest; a replaced entry moves to the end. Reads do not reorder, which
 * keeps `get` a single lookup on the hot path (FIFO rather than LRU: entries
 * here expire within seconds anyway).
 *
 * @example
 * const cache = createBoundedCache<string>(1000);
 * cache.set('sid-1', 'token'); cache.get('sid-1'); // 'token'
 */
export function createBoundedCache<V>(maxEntries: number): BoundedCache<V> {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError('maxEntries must be a whole number of at least 1');
  }
  const entries = new Map<string, V>();
  return {
    get: (key) => entries.get(key),
    set(key, value) {
      entries.delete(key);
      entries.set(key, value);
      for (const oldest of entries.keys()) {
        if (entries.size <= maxEntries) break;
        entries.delete(oldest);
      }
    },
    get size() {
      return entries.size;
    },
  };
}
