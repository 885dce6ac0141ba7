import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, eventually, type Stack, startStack } from './support/stack';

/**
 * The heart of the product, in workerd against real Redis and PostgreSQL:
 * at most one last_login write per user per interval, counted by a trigger in
 * Postgres and by the protocol servers.
 */
describe('the touch in workerd', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('50 concurrent requests from one user → exactly one UPDATE; one Redis round trip each on a warm cache', async () => {
    const worker = await stack.worker({ TOUCH_INTERVAL_SECONDS: '2', SESSION_CACHE_TTL_SECONDS: '10' });
    await stack.user('burst');
    const token = await stack.session('s-burst', 'burst');

    const first = await worker.fetch('/auth/session', bearer(token));
    expect(first.status).toBe(200);
    await eventually(
      () => stack.writes('burst'),
      (n) => n === 1,
    );

    await new Promise((r) => setTimeout(r, 2100)); // marker expired, cached session still warm
    stack.upstash.resetStats();
    stack.neon.resetStats();
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => worker.fetch('/auth/session', bearer(token))),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    await Promise.all(responses.map((r) => r.arrayBuffer()));
    await eventually(
      () => stack.writes('burst'),
      (n) => n === 2,
    );

    expect(stack.upstash.stats()).toMatchObject({ requests: 50, pipelines: 50, commands: { EVAL: 50 } });
    await new Promise((r) => setTimeout(r, 300)); // nothing else trickles in
    expect(stack.neon.stats().statements.UPDATE).toBe(1);
    expect(stack.neon.stats().statements.SELECT ?? 0).toBe(0);
    expect(await stack.writes('burst')).toBe(2);
  });

  it('a second burst after the interval writes exactly once more; last_login only moves forward', async () => {
    const worker = await stack.worker({ TOUCH_INTERVAL_SECONDS: '1' });
    await stack.user('again');
    const token = await stack.session('s-again', 'again');
    const burst = () =>
      Promise.all(Array.from({ length: 20 }, () => worker.fetch('/auth/verify', bearer(token))));

    expect((await burst()).every((r) => r.status === 200)).toBe(true);
    await eventually(
      () => stack.writes('again'),
      (n) => n === 1,
    );
    await new Promise((r) => setTimeout(r, 1100));
    expect((await burst()).every((r) => r.status === 200)).toBe(true);
    await eventually(
      () => stack.writes('again'),
      (n) => n === 2,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(await stack.writes('again')).toBe(2);

    const { rows } = await stack.pool.query<{ value: Date }>(
      'SELECT value FROM last_login_writes WHERE user_id = $1 ORDER BY written_at',
      ['again'],
    );
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
    await new Promise((r) => setTimeout(r, 300));
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
