// One burst of load against one Worker instance, and the counters around it.
// Latency is measured per request from dispatch to the last byte of the body;
// the counters come from the protocol servers, the database's write log and
// /proc (the instance's workerd CPU time).
import { holdStill } from './settle';
import type { BenchStack, Target } from './stack';

/** Cumulative counters of one instance, read between bursts. */
export interface Counters {
  /** HTTP requests (round trips) to this instance's Upstash server. */
  redisRequests: number;
  /** Redis commands executed for this instance, by name (`MGET`, `SET`, …). */
  redisCommands: Record<string, number>;
  /** SQL-over-HTTP requests (round trips) to this instance's Neon server. */
  sqlRequests: number;
  /** SQL statements received by this instance's Neon server, by first keyword. */
  statements: Record<string, number>;
  /** Position in the write log (any new last_login write moves it). */
  logPosition: number;
  /** CPU time of the instance's workerd process so far, ms. */
  workerCpuMs: number;
  /** TCP connections the origin has accepted so far (from every Worker). */
  originConnections: number;
}

/** What one burst produced. */
export interface Burst {
  /** Per-request latency in ms, in dispatch order. */
  latencies: number[];
  /** First dispatch to last body read, ms. */
  wallMs: number;
  /** Responses that were not 200 from the origin, or requests that failed. */
  errors: number;
  /** How edge-auth served each request (`Server-Timing: cache;desc="…"`), counted by label. */
  served: Record<string, number>;
  /** CPU this Node process (client, origin, protocol servers) used during the burst, ms. */
  harnessCpuMs: number;
}

/**
 * Reads the counters now.
 * @example const before = await readCounters(stack, stack.targets.convoy);
 */
export async function readCounters(stack: BenchStack, target: Target): Promise<Counters> {
  const neon = target.neon.stats();
  const upstash = target.upstash.stats();
  return {
    redisRequests: upstash.requests,
    redisCommands: upstash.commands,
    sqlRequests: neon.requests,
    statements: neon.statements,
    logPosition: await stack.writeLog.position(),
    workerCpuMs: target.cpuMs(),
    originConnections: stack.origin.stats().connections,
  };
}

const sameCounters = (a: Counters, b: Counters) =>
  a.sqlRequests === b.sqlRequests &&
  a.redisRequests === b.redisRequests &&
  a.logPosition === b.logPosition &&
  JSON.stringify(a.redisCommands) === JSON.stringify(b.redisCommands) &&
  JSON.stringify(a.statements) === JSON.stringify(b.statements);

/**
 * Waits until background work (edge-auth's `waitUntil` writes) has landed:
 * the counters must hold still for `quietMs`. The servers count a request on
 * arrival, before their injected latency, so `quietMs` must exceed that latency.
 *
 * @example const after = await settle(() => readCounters(stack, target), 60);
 */
export async function settle(read: () => Promise<Counters>, quietMs: number, timeoutMs = 10_000) {
  const last = await holdStill(read, quietMs, { same: sameCounters, timeoutMs });
  // CPU is read last, once everything is quiet, so it includes the background work.
  return { ...last, workerCpuMs: (await read()).workerCpuMs };
}

/** `cache;dur=0.1;desc="l1"` → 'l1'; undefined when the answer has no cache stage (other variants). */
export function servedLabel(serverTiming: string | null): string | undefined {
  return /(?:^|,)\s*cache;[^,]*?desc="([^"]*)"/.exec(serverTiming ?? '')?.[1];
}

const cpuNowMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * Sends `perUser` concurrent requests for each token at once (users
 * interleaved in dispatch order) and times each one to its last body byte.
 *
 * @example const { latencies } = await burst(target, [token], 20);
 */
export async function burst(target: Target, tokens: string[], perUser: number, timeoutMs = 30_000) {
  const order = Array.from({ length: perUser }, (_, i) => tokens.map((t) => ({ t, i }))).flat();
  const served: Record<string, number> = {};
  const cpuStart = cpuNowMs();
  const start = performance.now();
  const one = async ({ t, i }: { t: string; i: number }) => {
    const sent = performance.now();
    try {
      const res = await target.fetch(`/api/orders?i=${i}`, t);
      const body = await res.arrayBuffer();
      const ms = performance.now() - sent;
      const label = servedLabel(res.headers.get('Server-Timing'));
      if (label) served[label] = (served[label] ?? 0) + 1;
      // The origin marks its answers: anything else is the Worker's own error.
      const ok = res.status === 200 && res.headers.get('X-Demo-Origin') === 'yes' && body.byteLength > 0;
      return { ms, ok };
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
    const wallMs = performance.now() - start;
    return {
      latencies: results.map((r) => r.ms),
      wallMs,
      errors: results.filter((r) => !r.ok).length,
      served,
      harnessCpuMs: cpuNowMs() - cpuStart,
    } satisfies Burst;
  } finally {
    clearTimeout(timer);
  }
}
