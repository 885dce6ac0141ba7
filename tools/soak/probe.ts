// Shows the L1 bound holding: an isolate with L1_CACHE_MAX_ENTRIES = M gets
// M + 1 fresh sessions one after the other. The L1 evicts the least recently
// used entry, so the newest must still be served from L1 and the first one
// must not — provided its entry cannot have simply expired, which is why the
// probe is conclusive only when it took less than the L1 TTL.
import { servedLabel } from '../harness/format';
import type { Isolate } from './isolates';

/** What the probe saw. */
export interface L1Probe {
  maxEntries: number;
  /** Requests it sent. */
  requests: number;
  /** How the newest session was served when asked again (expected 'l1'). */
  newest: string;
  /** How the first session was served when asked again (expected anything but 'l1'). */
  oldest: string;
  /** First send to last answer. */
  elapsedMs: number;
  /** elapsedMs < the L1 TTL: no entry can have expired, so a missing one was evicted. */
  conclusive: boolean;
}

/**
 * Runs the probe with `tokens.length` = M + 1 sessions never seen by `isolate`.
 *
 * @example
 * const probe = await probeL1Bound(isolate, tokens51, 2000);
 * probe.newest === 'l1' && probe.oldest !== 'l1' // the bound held
 */
export async function probeL1Bound(isolate: Isolate, tokens: string[], l1TtlMs: number): Promise<L1Probe> {
  const ask = async (token: string) => {
    const res = await isolate.fetch('/api/orders?probe', token);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`L1 probe answered ${res.status}`);
    return servedLabel(res.headers.get('Server-Timing')) ?? '';
  };
  const start = performance.now();
  // One at a time: the order of insertion is what the bound is about.
  for (const token of tokens) await ask(token);
  const newest = await ask(tokens[tokens.length - 1] as string);
  const oldest = await ask(tokens[0] as string);
  const elapsedMs = performance.now() - start;
  return {
    maxEntries: tokens.length - 1,
    requests: tokens.length + 2,
    newest,
    oldest,
    elapsedMs,
    conclusive: elapsedMs < l1TtlMs,
  };
}
