import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { Redis } from '@upstash/redis';
import { Miniflare } from 'miniflare';
import { inject } from 'vitest';
import { type EchoOrigin, startLocalStack } from '../../dev/stack';
import { mintToken } from '../../dev/tokens';
import { COMPATIBILITY_DATE, NUMBERS } from '../../src/config/defaults';
import type { Env } from '../../src/env';

export const TEST_SECRET = 'workerd-suite-secret-workerd-suite-secret';
const REDIS_TOKEN = 'workerd-suite-redis-token';

/**
 * Miniflare options that run the bundled Worker (built by the global setup)
 * on the Worker's own compatibility date; add bindings and options of yours.
 *
 * @example
 * const mf = new Miniflare({ ...bundledWorker(), bindings: stack.env() });
 */
export function bundledWorker() {
  const scriptPath = inject('workerScript');
  // The bundle lives in a temp dir; module paths are resolved from there.
  return {
    modules: true,
    scriptPath,
    modulesRoot: dirname(scriptPath),
    compatibilityDate: COMPATIBILITY_DATE,
  } as const;
}

/**
 * One isolated run of the real stack for a test file (dev/stack.ts): its own
 * database (migrated, with a write log), its own Redis key prefix, the two
 * protocol servers in front of the real Redis and PostgreSQL found by the
 * global setup, and an echo origin.
 */
export async function startStack() {
  const local = await startLocalStack({
    label: 'test',
    redisUrl: inject('redisUrl'),
    postgresUrl: inject('postgresAdminUrl'),
    redisToken: REDIS_TOKEN,
    origin: true,
  });
  const { database: db, pool, upstash, neon, prefix, writeLog } = local;
  const origin = local.origin as EchoOrigin;
  const workers: Miniflare[] = [];
  /** For assertions; goes through the stack's Upstash server (so it also works on the in-memory engine). */
  const redis = new Redis({
    url: upstash.url,
    token: REDIS_TOKEN,
    automaticDeserialization: false,
    enableAutoPipelining: false,
    enableTelemetry: false,
  });

  const stack = {
    db,
    pool,
    upstash,
    neon,
    origin,
    prefix,
    redis,
    /** last_login writes as the database saw them: counts and the ordered log. */
    writeLog,
    /** Bindings for a Worker on this stack. */
    env(overrides: Partial<Env> = {}): Record<string, string> {
      const env: Env = { ...local.env(), JWT_SECRET: TEST_SECRET, ...overrides };
      return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >;
    },
    /** A Worker isolate in workerd (each instance is its own isolate, like another edge location). */
    worker(overrides: Partial<Env> = {}) {
      return stack.workerWith(overrides, {});
    },
    /** `worker()` with Miniflare options of the test's own, e.g. `handleRuntimeStdio` (test/support/logs.ts). */
    async workerWith(
      overrides: Partial<Env>,
      options: { handleRuntimeStdio?: (stdout: Readable, stderr: Readable) => unknown },
    ) {
      const mf = new Miniflare({
        ...options,
        ...bundledWorker(),
        bindings: stack.env(overrides),
      });
      await mf.ready;
      workers.push(mf);
      return {
        mf,
        fetch: (path: string, init: RequestInit = {}) =>
          mf.dispatchFetch(`http://edge.test${path}`, init as Parameters<Miniflare['dispatchFetch']>[1]),
        dispose: () => mf.dispose(),
      };
    },
    async user(id: string, extra: { isActive?: boolean; email?: string | null; lastLogin?: string } = {}) {
      await pool.query(
        'INSERT INTO users (id, username, email, first_name, last_name, is_active, last_login) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [
          id,
          `user-${id}`,
          extra.email === undefined ? `${id}@example.com` : extra.email,
          'Ada',
          'Lovelace',
          extra.isActive ?? true,
          extra.lastLogin ?? null,
        ],
      );
    },
    async session(id: string, userId: string, opts: { expiresInSeconds?: number; data?: object } = {}) {
      await pool.query(
        `INSERT INTO sessions (id, user_id, expires_at, data) VALUES ($1, $2, now() + make_interval(secs => $3), $4)`,
        [id, userId, opts.expiresInSeconds ?? 3600, JSON.stringify(opts.data ?? {})],
      );
      return mintToken({ secret: TEST_SECRET, userId, sessionId: id });
    },
    /** Rows whose last_login was written, per the trigger. */
    writes: (userId?: string): Promise<number> => writeLog.count(userId),
    /**
     * The touch interval has passed for `userId`, without waiting for it: the
     * marker is deleted (as Redis would expire it) and last_login is backdated
     * past the interval, in replica mode so the write log's trigger does not
     * count the backdating as a touch. The interval defaults to the Worker's.
     */
    async intervalPasses(
      userId: string,
      intervalSeconds: number = NUMBERS.TOUCH_INTERVAL_SECONDS.default,
    ): Promise<void> {
      await redis.del(`${prefix}touch:${userId}`);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SET LOCAL session_replication_role = replica');
        await client.query(
          'UPDATE users SET last_login = last_login - make_interval(secs => $2 + 1) WHERE id = $1',
          [userId, intervalSeconds],
        );
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    },
    /** Disposes the Worker isolates, then the stack (keys, servers, database). */
    async stop() {
      await Promise.allSettled(workers.map((w) => w.dispose()));
      await local.stop();
    },
  };
  return stack;
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

/** Polls until `check` holds (background work runs after the response), or fails with the last value. */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (v: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!check(value)) {
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms; last value ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
    value = await read();
  }
  return value;
}

export const bearer = (token: string): RequestInit => ({ headers: { Authorization: `Bearer ${token}` } });
