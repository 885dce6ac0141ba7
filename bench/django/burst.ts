// One burst of one arm of `npm run bench:django`, with what it caused: the
// latencies, the auth_user rows it updated (the trigger log), the PostgreSQL
// connections it opened, edge-auth's round trips, and the lock waits a
// sampler saw in the benchmark's database meanwhile.
import { holdStill } from '../../tools/harness/settle';
import { sampleLocks } from '../../tools/soak/locks';
import { difference, writeFigures } from '../counts';
import { burst, type Sender } from '../measure';
import type { NoiseMeter } from '../noise';
import type { DjangoArm, DjangoBenchSettings } from './run';
import type { DjangoStack, DjangoUser } from './stack';

/** One burst of one arm and what it caused. */
export interface DjangoRound {
  latencies: number[];
  wallMs: number;
  /** Answers that were not the view's 200, or requests that failed. */
  errors: number;
  /** How edge-auth served each request (`Server-Timing` cache label: l1, hit, miss), counted. */
  served: Record<string, number>;
  /** auth_user rows updated (the trigger), all users together and for the most-written user. */
  rows: number;
  maxRowsPerUser: number;
  /** Mean gap between one user's consecutive updates (the lock hand-off); null with fewer than two. */
  writeSpacingMs: number | null;
  /** New connections through the delay proxy (each a PostgreSQL backend, from Django or Neon's server). */
  connections: number;
  /** edge-auth's round trips to its Upstash and Neon servers, and its statements by kind. */
  redisRequests: number;
  sqlRequests: number;
  statements: Record<string, number>;
  /** Lock sampler: samples taken during the burst, and backends seen waiting on a lock, summed. */
  lockSamples: number;
  lockWaits: number;
  /** CPU others used on this machine during the burst, ms. */
  foreignCpuMs: number;
}

/** What a burst runs on. */
export interface BurstContext {
  stack: DjangoStack;
  noise: NoiseMeter;
  settings: DjangoBenchSettings;
}

/**
 * Sends `perUser` concurrent requests for each user with its newest session (after one unmeasured
 * request each when the settings say warm), and reads the counters around it once background work
 * (edge-auth's write-backs and touches) has landed.
 *
 * @example const round = await measureBurst(ctx, 'seed', [user], 20); round.rows // 20
 */
export async function measureBurst(
  { stack, noise, settings }: BurstContext,
  arm: DjangoArm,
  users: readonly DjangoUser[],
  perUser: number,
): Promise<DjangoRound> {
  const keys = users.map((u) => {
    const key = u.keys.at(-1);
    if (key === undefined) throw new Error(`user ${u.id} was never signed in`);
    return key;
  });
  const read = async () => ({ ...stack.counters(), position: await stack.updates.position() });
  const settle = () =>
    holdStill(read, 50, { same: (a, b) => JSON.stringify(a) === JSON.stringify(b), timeoutMs: 10_000 });
  if (settings.edgeCache === 'warm') await prime(stack[arm], keys);
  const before = await settle();
  const sampler = await sampleLocks(stack.adminUrl, settings.lockSampleMs);
  const mark = noise.read();
  const result = await burst(stack[arm], keys, perUser);
  const foreignCpuMs = noise.since(mark).cpuMs;
  const locks = await sampler.stop();
  const after = await settle();
  const writes = await stack.updates.since(
    before.position,
    users.map((u) => u.id),
  );
  return {
    latencies: result.latencies,
    wallMs: result.wallMs,
    errors: result.errors,
    served: result.served,
    ...writeFigures(writes),
    connections: after.connections - before.connections,
    redisRequests: after.redisRequests - before.redisRequests,
    sqlRequests: after.sqlRequests - before.sqlRequests,
    statements: difference(after.statements, before.statements),
    lockSamples: locks.samples,
    lockWaits: locks.lockWaits,
    foreignCpuMs,
  };
}

/** One request per user, all at once, not measured; each must reach the view. */
async function prime(target: Sender, keys: string[]): Promise<void> {
  await Promise.all(
    keys.map(async (key) => {
      const res = await target.fetch('/api/orders?prime', key);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`a priming request answered ${res.status}`);
    }),
  );
}
