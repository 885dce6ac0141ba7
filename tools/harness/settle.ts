// Background work (a Worker's waitUntil claims, write-backs and UPDATEs) lands
// after the answers. Before counters are read or reset they must hold still:
// this polls them until they have not moved for `quietMs`.

/**
 * Resolves with the last reading once `read()` has given the same value (by `same`, default `===`)
 * for `quietMs`; throws after `timeoutMs`.
 *
 * @example await holdStill(async () => `${neon.stats().requests}/${upstash.stats().requests}`, 300);
 */
export async function holdStill<T>(
  read: () => Promise<T>,
  quietMs: number,
  options: { same?: (a: T, b: T) => boolean; timeoutMs?: number } = {},
): Promise<T> {
  const same = options.same ?? ((a: T, b: T) => a === b);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  let quietSince = Date.now();
  while (Date.now() - quietSince < quietMs) {
    if (Date.now() > deadline) throw new Error(`background work did not settle within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
    const now = await read();
    if (!same(last, now)) {
      last = now;
      quietSince = Date.now();
    }
  }
  return last;
}
