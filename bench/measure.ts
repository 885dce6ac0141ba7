// One burst of load against one Worker instance, and the counters around it.
// Latency is measured per request from dispatch to the last byte of the body;
// the counters come from the protocol servers, the database's write log and
// /proc (the instance's workerd CPU time).
import { servedLabel } from '../tools/harness/format';
import { holdStill } from '../tools/harness/settle';
import type { BenchStack, Target } from './stack';

/** Cumulative counters of one instance, read between bursts. */
export interface Counters {
  /** HTTP requests (round trips) to its Upstash server, and the commands by name (`MGET`, `SET`, …). */
  redisRequests: number;
  redisCommands: Record<string, number>;
  /** SQL-over-HTTP requests to its Neon server, and the statements by first keyword. */
  sqlRequests: number;
  statements: Record<string, number>;
  /** Position in the write log (any new last_login write moves it). */
  logPosition: number;
  /** CPU time of its workerd process so far, ms. */
  workerCpuMs: number;
}

/**
 * Reads the counters now.
 * @example const before = await readCounters(stack, stack.targets.convoy);
 */
export async function readCounters(stack: BenchStack, target: Target): Promise<Counters> {
  const { requests: redisRequests, commands: redisCommands } = target.upstash.stats();
  const { requests: sqlRequests, statements } = target.neon.stats();
  const logPosition = await stack.writeLog.position();
  return { redisRequests, redisCommands, sqlRequests, statements, logPosition, workerCpuMs: target.cpuMs() };
}

/**
 * Waits until background work (edge-auth's `waitUntil` writes) has landed: every counter but CPU
 * holds still for `quietMs`. CPU is read last, once everything is quiet, so it includes that work.
 *
 * @example const after = await settle(() => readCounters(stack, target), 50);
 */
export async function settle(read: () => Promise<Counters>, quietMs: number): Promise<Counters> {
  const key = ({ workerCpuMs: _, ...rest }: Counters) => JSON.stringify(rest);
  const last = await holdStill(read, quietMs, { same: (a, b) => key(a) === key(b), timeoutMs: 10_000 });
  return { ...last, workerCpuMs: (await read()).workerCpuMs };
}

/** What one burst produced. */
export interface Burst {
  /** Per-request latency in ms, in dispatch order. */
  latencies: number[];
  /** First dispatch to last body read, ms. */
  wallMs: number;
  /** Answers that were not 200 from the origin, or requests that failed. */
  errors: number;
  /** How edge-auth served each request (`Server-Timing: cache;desc="…"`), counted by label. */
  served: Record<string, number>;
  /** CPU this Node process (client, origin, protocol servers) used during the burst, ms. */
  harnessCpuMs: number;
}

const ownCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Where a burst goes: anything that sends `path` with `token` as its credential. */
export interface Sender {
  fetch(
    path: string,
    token: string,
  ): Promise<{
    status: number;
    headers: { get(name: string): string | null };
    arrayBuffer(): Promise<ArrayBuffer>;
  }>;
}

/**
 * Sends `perUser` concurrent requests for each token at once (users interleaved in dispatch
 * order) and times each one to its last body byte.
 *
 * @example const { latencies } = await burst(target, [token], 20);
 */
export async function burst(
  target: Sender,
  tokens: string[],
  perUser: number,
  timeoutMs = 30_000,
): Promise<Burst> {
  const order = Array.from({ length: perUser }, (_, i) => tokens.map((t) => ({ t, i }))).flat();
  const served: Record<string, number> = {};
  const cpuStart = ownCpuMs();
  const start = performance.now();
  const one = async ({ t, i }: { t: string; i: number }) => {
    const sent = performance.now();
    try {
      const res = await target.fetch(`/api/orders?i=${i}`, t);
      const body = await res.arrayBuffer();
      const ms = performance.now() - sent;
      const label = servedLabel(res.headers.get('Server-Timing'));
      if (label) served[label] = (served[label] ?? 0) + 1;
      // The origin marks its answers: anything else is the Worker's own answer.
      return {
        ms,
        ok: res.status === 200 && res.headers.get('X-Demo-Origin') === 'yes' && body.byteLength > 0,
      };
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
      served,
      harnessCpuMs: ownCpuMs() - cpuStart,
    };
  } finally {
    clearTimeout(timer);
  }
}
