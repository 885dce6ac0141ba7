import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGate } from './support/gate';
import { bearer, eventually, type Stack, startStack } from './support/stack';

type Worker = Awaited<ReturnType<Stack['worker']>>;

/**
 * How soon a logout is seen, through the real HTTP surface: the bundled
 * Worker in workerd, real Redis and PostgreSQL behind the local protocol
 * servers. In the isolate that answered the logout: at once, whatever the L1
 * and whatever was in flight. In another isolate: once the shared cache it
 * reads says so, which on a Global database is after the replica's lag.
 */
describe('revocation in workerd', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const logout = (worker: Worker, token: string) =>
    worker.fetch('/auth/logout', { method: 'POST', ...bearer(token) });
  const served = (res: { headers: { get(name: string): string | null } }) =>
    res.headers.get('Server-Timing')?.match(/cache;(?:dur=[\d.]+;)?desc="(\w+)"/)?.[1];
  const mgets = () => stack.upstash.stats().commands.MGET ?? 0;

  /** A user with a live session cached in Redis by another isolate; returns its token and key. */
  async function cachedSession(name: string) {
    await stack.user(`u-${name}`);
    const token = await stack.session(`s-${name}`, `u-${name}`);
    const key = `${stack.prefix}session:s-${name}`;
    expect((await (await stack.worker()).fetch('/auth/session', bearer(token))).status).toBe(200);
    await eventually(
      () => stack.redis.exists(key),
      (n) => n === 1,
    );
    return { token, key };
  }

  it.each(['0', '10'])(
    'L1_CACHE_TTL_SECONDS=%s: a load that read the live session before the logout is used by no request answered after it',
    async (l1) => {
      const { token, key } = await cachedSession(`inflight-${l1}`);
      const gate = await startGate(stack.upstash.url);
      try {
        // The Redis budget outlasts the hold, so the held read is answered, not timed out.
        const worker = await stack.worker({
          UPSTASH_REDIS_REST_URL: gate.url,
          L1_CACHE_TTL_SECONDS: l1,
          REDIS_TIMEOUT_MS: '10000',
        });
        const read = gate.hold((body) => body.startsWith('["mget"') && body.includes(key), {
          answered: true,
        });
        stack.upstash.resetStats();
        stack.neon.resetStats();

        const first = worker.fetch('/auth/session', bearer(token));
        await read.arrived; // Redis answered "live"; the answer waits at the gate
        const joined = worker.fetch('/auth/session', bearer(token)); // shares that load (or, if late, sees the logout)
        expect((await logout(worker, token)).status).toBe(204);
        const after = await worker.fetch('/auth/session', bearer(token));
        // Answered while the old load is still held: it neither joined it nor waited for it.
        expect(after.status).toBe(401);
        expect(after.headers.get('WWW-Authenticate')).toContain('error_description="session revoked"');

        read.release();
        await read.done;
        expect({ first: (await first).status, joined: (await joined).status }).toEqual({
          first: 401,
          joined: 401,
        });
        // Two reads: the held load's and the logout's; the revocation alone went to the database.
        expect(mgets()).toBe(2);
        expect(stack.neon.stats().statements).toEqual({ UPDATE: 1 });
        expect((await worker.fetch('/auth/session', bearer(token))).status).toBe(401);
      } finally {
        await gate.close();
      }
    },
  );

  it('with a lagging replica another isolate sees the logout once the replica catches up; this one at once', async () => {
    await stack.user('u-lag');
    const token = await stack.session('s-lag', 'u-lag');
    stack.upstash.replica.setLag({ mode: 'manual' });
    try {
      const first = await stack.worker();
      const second = await stack.worker({ L1_CACHE_TTL_SECONDS: '0' });
      stack.upstash.resetStats();
      expect((await second.fetch('/auth/session', bearer(token))).status).toBe(200);
      // Its background writes (the live entry, the touch marker) reach the primary and wait for the
      // replica (the stats count a command when it arrives, the replica records it once answered) …
      await eventually(
        async () => [stack.upstash.stats().commands.SET ?? 0, stack.upstash.replica.pending()],
        ([sets, pending]) => sets === 2 && pending === 2,
      );
      // … and the replica only now.
      stack.upstash.replica.sync();
      const warm = await second.fetch('/auth/session', bearer(token));
      expect({ status: warm.status, served: served(warm) }).toEqual({ status: 200, served: 'hit' });

      expect((await logout(first, token)).status).toBe(204);
      const reads = mgets();
      const own = await first.fetch('/auth/session', bearer(token));
      expect({ status: own.status, served: served(own) }).toEqual({ status: 401, served: 'l1' });
      expect(mgets()).toBe(reads); // its own record: no round trip

      // The documented bound: another isolate reads the replica, which has not seen the revocation yet.
      expect(stack.upstash.replica.pending()).toBeGreaterThan(0);
      const stale = await second.fetch('/auth/session', bearer(token));
      expect({ status: stale.status, served: served(stale) }).toEqual({ status: 200, served: 'hit' });

      stack.upstash.replica.sync();
      const caughtUp = await second.fetch('/auth/session', bearer(token));
      expect({ status: caughtUp.status, served: served(caughtUp) }).toEqual({ status: 401, served: 'hit' });
    } finally {
      stack.upstash.replica.setLag({ mode: 'off' });
    }
  });
});
