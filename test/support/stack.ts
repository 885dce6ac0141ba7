import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { Redis } from '@upstash/redis';
import { Miniflare } from 'miniflare';
import pg from 'pg';
import { inject } from 'vitest';
import { startNeonServer } from '../../dev/neon/server';
import { startEchoOrigin } from '../../dev/origin';
import { createDatabase } from '../../dev/services';
import { mintToken } from '../../dev/tokens';
import { startUpstashServer } from '../../dev/upstash/server';
import { migrate } from '../../scripts/migrate';
import type { Env } from '../../src/env';

export const TEST_SECRET = 'workerd-suite-secret-workerd-suite-secret';
const REDIS_TOKEN = 'workerd-suite-redis-token';

/** Counts rows whose last_login really changed, independently of the Worker and the servers. */
const WRITE_LOG_SQL = `
CREATE TABLE last_login_writes (user_id text NOT NULL, value timestamptz, written_at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE FUNCTION record_last_login_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO last_login_writes (user_id, value) VALUES (NEW.id, NEW.last_login); RETURN NEW; END $$;
CREATE TRIGGER users_last_login_write AFTER UPDATE OF last_login ON users
  FOR EACH ROW EXECUTE FUNCTION record_last_login_write();`;

/**
 * One isolated run of the real stack for a test file: its own database
 * (migrated, with a write log), its own Redis key prefix, the two protocol
 * servers in front of the real Redis and PostgreSQL, and an echo origin.
 */
export async function startStack() {
  const db = await createDatabase(inject('postgresAdminUrl'));
  await migrate(db.url);
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  await pool.query(WRITE_LOG_SQL);
  const upstash = await startUpstashServer({ redisUrl: inject('redisUrl'), token: REDIS_TOKEN });
  const neon = await startNeonServer({ upstream: inject('postgresUpstream') });
  const origin = await startEchoOrigin();
  const prefix = `edge-auth-test-${randomBytes(4).toString('hex')}:`;
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
    /** Bindings for a Worker on this stack. */
    env(overrides: Partial<Env> = {}): Record<string, string> {
      const env: Env = {
        UPSTASH_REDIS_REST_URL: upstash.url,
        UPSTASH_REDIS_REST_TOKEN: REDIS_TOKEN,
        DATABASE_URL: db.url,
        NEON_FETCH_ENDPOINT: neon.endpoint,
        JWT_SECRET: TEST_SECRET,
        REDIS_KEY_PREFIX: prefix,
        ORIGIN_URL: origin.url,
        ...overrides,
      };
      return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >;
    },
    /** A Worker isolate in workerd (each instance is its own isolate, like another edge location). */
    async worker(overrides: Partial<Env> = {}) {
      const mf = new Miniflare({
        modules: true,
        scriptPath: inject('workerScript'),
        // The bundle lives in a temp dir; module paths are resolved from there.
        modulesRoot: dirname(inject('workerScript')),
        compatibilityDate: '2026-04-20',
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
    async writes(userId?: string): Promise<number> {
      const { rows } = await pool.query<{ n: string }>(
        userId
          ? 'SELECT count(*) AS n FROM last_login_writes WHERE user_id = $1'
          : 'SELECT count(*) AS n FROM last_login_writes',
        userId ? [userId] : [],
      );
      return Number(rows[0]?.n);
    },
    async stop() {
      await Promise.allSettled(workers.map((w) => w.dispose()));
      const keys = await redis.keys(`${prefix}*`).catch(() => []);
      if (keys.length > 0) await redis.del(...keys).catch(() => 0);
      await Promise.allSettled([upstash.close(), neon.close(), origin.close()]);
      await pool.end();
      await db.drop();
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
