import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, eventually, type Stack, startStack } from './support/stack';

/** What a dependency outage looks like from the outside: never a 500, never a logout. */
describe('dependency faults in workerd', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('Redis unreachable: sessions are served from the database, nobody is logged out', async () => {
    await stack.user('u-redis-down');
    const token = await stack.session('s-redis-down', 'u-redis-down');
    const worker = await stack.worker({
      UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9',
      REDIS_TIMEOUT_MS: '200',
    });
    stack.neon.resetStats();
    const res = await worker.fetch('/auth/session', bearer(token));
    expect(res.status).toBe(200);
    expect(res.headers.get('Server-Timing')).toMatch(/cache;dur=[\d.]+;desc="degraded", db;dur=/);
    expect(stack.neon.stats().statements.SELECT).toBe(1);
  });

  it('Redis up, database unreachable, cache cold: 503 with Retry-After, not 401', async () => {
    await stack.user('u-db-down');
    const token = await stack.session('s-db-down', 'u-db-down');
    const worker = await stack.worker({
      NEON_FETCH_ENDPOINT: 'http://127.0.0.1:9/sql',
      DATABASE_TIMEOUT_MS: '500',
    });
    const res = await worker.fetch('/auth/session', bearer(token));
    expect(res.status).toBe(503);
    expect(res.headers.get('Retry-After')).toBe('1');
    expect(await res.json()).toEqual({
      error: 'dependency_unavailable',
      message: 'database is unavailable, retry shortly',
    });
  });

  it('database unreachable but the session cached: still served', async () => {
    await stack.user('u-cached');
    const token = await stack.session('s-cached', 'u-cached');
    const healthy = await stack.worker();
    expect((await healthy.fetch('/auth/session', bearer(token))).status).toBe(200);
    await eventually(
      () => stack.redis.exists(`${stack.prefix}session:s-cached`),
      (n) => n === 1,
    );
    const worker = await stack.worker({
      NEON_FETCH_ENDPOINT: 'http://127.0.0.1:9/sql',
      DATABASE_TIMEOUT_MS: '500',
    });
    expect((await worker.fetch('/auth/session', bearer(token))).status).toBe(200);
  });

  it('a slow database is cut off by DATABASE_TIMEOUT_MS with a 503', async () => {
    await stack.user('u-slow');
    const token = await stack.session('s-slow', 'u-slow');
    const worker = await stack.worker({ DATABASE_TIMEOUT_MS: '100' });
    stack.neon.setLatency(1000);
    try {
      const res = await worker.fetch('/auth/session', bearer(token));
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        error: 'dependency_unavailable',
        message: 'database is unavailable, retry shortly',
      });
    } finally {
      stack.neon.setLatency(0);
    }
  });

  it('bad configuration: one 500 naming every problem, never a value', async () => {
    const worker = await stack.worker({
      UPSTASH_REDIS_REST_TOKEN: '',
      DATABASE_URL: 'mysql://root:hunter2@db/app',
      SESSION_CACHE_TTL_SECONDS: '900',
    });
    const res = await worker.fetch('/auth/session');
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe('config_invalid');
    expect(body.message).toContain('UPSTASH_REDIS_REST_TOKEN is required');
    expect(body.message).toContain('DATABASE_URL must be a postgres or postgresql URL');
    expect(body.message).toContain('SESSION_CACHE_TTL_SECONDS must be a whole number from 0 to 300');
    expect(body.message).not.toContain('hunter2');
  });
});
