import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, eventually, type Stack, startStack } from './support/stack';

/**
 * The heart of the product, in workerd against real Redis and PostgreSQL:
 * at most one last_login write per user per interval, counted by a trigger in
 * Postgres and by the protocol servers. Time is moved by setting state (the
 * marker deleted as Redis would expire it, last_login backdated), never by
 * sleeping.
 */
describe('the touch in workerd', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('50 concurrent requests of one user in a cold isolate: one Redis read, one claim, one UPDATE', async () => {
    await stack.user('burst');
    const token = await stack.session('s-burst', 'burst');
    const warm = await stack.worker();
    expect((await warm.fetch('/auth/session', bearer(token))).status).toBe(200);
    await eventually(
      () => stack.writes('burst'),
      (n) => n === 1,
    );
    await eventually(
      () => stack.redis.exists(`${stack.prefix}session:s-burst`),
      (n) => n === 1,
    );
    await stack.intervalPasses('burst', 300);

    const worker = await stack.worker({ L1_CACHE_TTL_SECONDS: '10' });
    stack.upstash.resetStats();
    stack.neon.resetStats();
    const burst = () =>
      Promise.all(Array.from({ length: 50 }, () => worker.fetch('/auth/session', bearer(token))));
    const responses = await burst();
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    await eventually(
      () => stack.writes('burst'),
      (n) => n === 2,
    );
    // Coalesced: one read-only MGET for the whole burst, then one SET NX claim.
    expect(stack.upstash.stats().commands).toEqual({ MGET: 1, SET: 1 });
    expect(stack.neon.stats().statements).toEqual({ UPDATE: 1 });

    // The same isolate within its L1 TTL: no network at all.
    const again = await burst();
    expect(again.map((r) => r.headers.get('Server-Timing')?.match(/cache;desc="(\w+)"/)?.[1])).toEqual(
      Array(50).fill('l1'),
    );
    expect(stack.upstash.stats().requests).toBe(2);
    expect(await stack.writes('burst')).toBe(2);
  });

  it('after the interval, exactly one more write; last_login only moves forward', async () => {
    await stack.user('again');
    const token = await stack.session('s-again', 'again');
    const burst = (worker: Awaited<ReturnType<Stack['worker']>>) =>
      Promise.all(Array.from({ length: 20 }, () => worker.fetch('/auth/verify', bearer(token))));

    expect((await burst(await stack.worker())).every((r) => r.status === 200)).toBe(true);
    await eventually(
      () => stack.writes('again'),
      (n) => n === 1,
    );
    await eventually(
      () => stack.redis.exists(`${stack.prefix}session:s-again`),
      (n) => n === 1,
    );
    // Within the interval, a fresh isolate writes nothing: the marker is set.
    // (The decision is taken before answering: a set marker means nothing is scheduled.)
    stack.upstash.resetStats();
    stack.neon.resetStats();
    expect((await burst(await stack.worker())).every((r) => r.status === 200)).toBe(true);
    expect(stack.upstash.stats().commands).toEqual({ MGET: 1 });
    expect(stack.neon.stats().statements.UPDATE ?? 0).toBe(0);

    await stack.intervalPasses('again', 300);
    expect((await burst(await stack.worker())).every((r) => r.status === 200)).toBe(true);
    await eventually(
      () => stack.writes('again'),
      (n) => n === 2,
    );
    const { rows } = await stack.pool.query<{ value: Date }>(
      'SELECT value FROM last_login_writes WHERE user_id = $1 ORDER BY written_at',
      ['again'],
    );
    expect(rows).toHaveLength(2);
    expect(rows[1]!.value.getTime()).toBeGreaterThan(rows[0]!.value.getTime());
  });

  it('three isolates sharing one Redis: still one UPDATE per user per interval', async () => {
    const isolates = await Promise.all([stack.worker(), stack.worker(), stack.worker()]);
    const users = ['iso-a', 'iso-b', 'iso-c', 'iso-d'];
    const tokens = await Promise.all(
      users.map(async (id) => {
        await stack.user(id);
        return stack.session(`s-${id}`, id);
      }),
    );
    stack.upstash.resetStats();
    stack.neon.resetStats();
    const responses = await Promise.all(
      tokens.flatMap((token) =>
        isolates.flatMap((worker) =>
          Array.from({ length: 10 }, () => worker.fetch('/auth/verify', bearer(token))),
        ),
      ),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    for (const id of users)
      await eventually(
        () => stack.writes(id),
        (n) => n === 1,
      );
    // Each isolate saw each user's marker free at most once; SET NX left one winner per user.
    const claims = stack.upstash.stats().commands.SET ?? 0;
    expect(stack.neon.stats().statements.UPDATE).toBe(users.length);
    expect(claims).toBeGreaterThanOrEqual(users.length);
    expect(claims).toBeLessThanOrEqual(users.length * isolates.length * 2);
    for (const id of users) expect(await stack.writes(id)).toBe(1);
  });

  it('a user whose last_login is recent is not written again even without a marker', async () => {
    const worker = await stack.worker();
    await stack.user('recent', { lastLogin: new Date().toISOString() });
    const token = await stack.session('s-recent', 'recent');
    stack.neon.resetStats();
    expect((await worker.fetch('/auth/session', bearer(token))).status).toBe(200);
    await eventually(
      () => Promise.resolve(stack.neon.stats().statements.UPDATE ?? 0),
      (n) => n === 1,
    );
    expect(await stack.writes('recent')).toBe(0);
  });
});
