// One round of load against one variant, and the counters around it. Latency
// is measured per request from dispatch to the last byte of the body; the
// counters come from the protocol servers and the database's write log.
import type { BenchStack, Target } from './stack';

/** Cumulative counters of one variant, read between rounds. */
export interface Counters {
  /** SQL-over-HTTP requests (round trips) to this variant's Neon server. */
  sqlRequests: number;
  /** UPDATE statements received by this variant's Neon server. */
  updates: number;
  /** HTTP requests (round trips) to this variant's Upstash server. */
  redisRequests: number;
  /** Rows whose last_login changed, per user of `users` (from the trigger). */
  rows: Map<string, number>;
  /** Position in the write log. */
  logPosition: number;
}

/** What one burst produced. */
export interface Burst {
  /** Per-request latency in ms, in dispatch order. */
  latencies: number[];
  /** First dispatch to last body read, ms. */
  wallMs: number;
  /** Responses that were not 200 from the origin, or requests that failed. */
  errors: number;
}

/**
 * Reads the counters now.
 * @example const before = await readCounters(stack, stack.targets.convoy, ['convoy-1']);
 */
export async function readCounters(stack: BenchStack, target: Target, users: string[]): Promise<Counters> {
  const neon = target.neon.stats();
  const [byUser, logPosition] = await Promise.all([stack.writeLog.byUser(), stack.writeLog.position()]);
  return {
    sqlRequests: neon.requests,
    updates: neon.statements.UPDATE ?? 0,
    redisRequests: target.upstash.stats().requests,
    rows: new Map(users.map((u) => [u, byUser.get(u) ?? 0])),
    logPosition,
  };
}

const sameCounters = (a: Counters, b: Counters) =>
  a.sqlRequests === b.sqlRequests &&
  a.updates === b.updates &&
  a.redisRequests === b.redisRequests &&
  a.logPosition === b.logPosition &&
  [...a.rows].every(([u, n]) => b.rows.get(u) === n);

/**
 * Waits until background work (edge-auth's `waitUntil` touch) has landed:
 * the counters must hold still for `quietMs`. The servers count a request on
 * arrival, before their injected latency, so `quietMs` must exceed that latency.
 *
 * @example const after = await settle(() => readCounters(stack, target, users), 60);
 */
export async function settle(read: () => Promise<Counters>, quietMs: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  let quietSince = Date.now();
  while (Date.now() - quietSince < quietMs) {
    if (Date.now() > deadline) throw new Error(`background work did not settle within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
    const now = await read();
    if (!sameCounters(last, now)) {
      last = now;
      quietSince = Date.now();
    }
  }
  return last;
}

/**
 * Sends `perUser` concurrent requests for each token at once (users
 * interleaved in dispatch order) and times each one to its last body byte.
 *
 * @example const { latencies } = await burst(target, [token], 20);
 */
export async function burst(target: Target, tokens: string[], perUser: number, timeoutMs = 30_000) {
  const order = Array.from({ length: perUser }, (_, i) => tokens.map((t) => ({ t, i }))).flat();
  const start = performance.now();
  const one = async ({ t, i }: { t: string; i: number }) => {
    const sent = performance.now();
    try {
      const res = await target.fetch(`/api/orders?i=${i}`, t);
      const body = await res.arrayBuffer();
      // The echo origin marks its answers: anything else is the Worker's own error.
      const ok = res.status === 200 && res.headers.get('X-Demo-Origin') === 'yes' && body.byteLength > 0;
      return { ms: performance.now() - sent, ok };
    } catch {
      return { ms: performance.now() - sent, ok: false };
    }
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`a burst took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const results = await Promise.race([Promise.all(order.map(one)), timeout]);
    return {
      latencies: results.map((r) => r.ms),
      wallMs: performance.now() - start,
      errors: results.filter((r) => !r.ok).length,
    } satisfies Burst;
  } finally {
    clearTimeout(timer);
  }
}
