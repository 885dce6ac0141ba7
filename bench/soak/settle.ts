// Background work (the Worker's waitUntil claims, write-backs and UPDATEs)
// lands after the answers. Before counters are reset or read, they must hold
// still: this polls them until they have not moved for `quietMs`.

/**
 * Resolves once `read()` has returned the same value for `quietMs`; throws after `timeoutMs`.
 *
 * @example await settle(async () => `${neon.stats().requests}/${upstash.stats().requests}`, 300);
 */
export async function settle(
  read: () => Promise<string>,
  quietMs: number,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  let quietSince = Date.now();
  while (Date.now() - quietSince < quietMs) {
    if (Date.now() > deadline) throw new Error(`background work did not settle within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
    const now = await read();
    if (now !== last) {
      last = now;
      quietSince = Date.now();
    }
  }
}
