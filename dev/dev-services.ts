// The services `npm run dev` puts the Worker in front of: the demo (the dev
// database, seeded, and the echo origin), or the user's own database and app
// (--database-url, --origin) with the same local Upstash and Neon endpoints.
import type pg from 'pg';
import type { Env } from '../src/env';
import { DEV_DEMO_USER, DEV_REDIS_TOKEN, devDatabaseName } from './defaults';
import type { DevOptions } from './dev-options';
import { startFront } from './front';
import type { NeonServer } from './neon/server';
import { startEchoOrigin } from './origin';
import { type RedisService, requirePostgres } from './services';
import { startLocalStack } from './stack';
import { createSession } from './tokens';
import type { UpstashServer } from './upstash/server';

/** How long the demo session and its token live. */
export const DEMO_TTL_SECONDS = 7 * 24 * 3600;

/** What runs behind the Worker. */
export interface DevServices {
  /** The bindings that point the Worker at them (no key: the caller adds it). */
  env: Env;
  /** The Worker's database (it may carry a password: never printed). */
  databaseUrl: string;
  upstash: UpstashServer;
  neon: NeonServer;
  redisKind: RedisService['kind'];
  /** The echo origin's URL, when it is the origin. */
  demoOrigin?: string;
  /** This run's demo session, when the demo is seeded. */
  demoSession?: string;
  /** Stops what start did; never throws. */
  stop(): Promise<void>;
}

/**
 * Starts the services `options` ask for: the demo by default, else the user's database and app.
 *
 * @example const services = await startDevServices(parseDevOptions([])!, console.log); …; await services.stop();
 */
export async function startDevServices(
  options: DevOptions,
  log: (line: string) => void,
): Promise<DevServices> {
  const users = options.users ? { users: options.users } : {};
  if (options.databaseUrl) {
    const front = await startFront({
      databaseUrl: options.databaseUrl,
      postgres: await requirePostgres(options.databaseUrl),
      redisToken: DEV_REDIS_TOKEN,
      ...users,
      log,
    });
    const origin = options.origin
      ? undefined
      : await startEchoOrigin().catch(async (err) => {
          await front.stop();
          throw err;
        });
    return {
      env: { ...front.env(), ORIGIN_URL: options.origin ?? origin?.url },
      databaseUrl: front.databaseUrl,
      upstash: front.upstash,
      neon: front.neon,
      redisKind: front.redis.kind,
      ...(origin ? { demoOrigin: origin.url } : {}),
      stop: async () => {
        await origin?.close();
        await front.stop();
      },
    };
  }
  const stack = await startLocalStack({
    label: 'dev',
    database: devDatabaseName(),
    origin: !options.origin,
    ...users,
    log,
  });
  const demo = !options.origin;
  let demoSession: string | undefined;
  try {
    if (demo) demoSession = await seedDemo(stack.pool, log);
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return {
    env: { ...stack.env(), ...(options.origin ? { ORIGIN_URL: options.origin } : {}) },
    databaseUrl: stack.database.url,
    upstash: stack.upstash,
    neon: stack.neon,
    redisKind: stack.redis.kind,
    ...(stack.origin ? { demoOrigin: stack.origin.url } : {}),
    ...(demoSession ? { demoSession } : {}),
    stop: () => stack.stop(),
  };
}

/**
 * The demo user, and a fresh week-long session for it on every start: a logout with the printed
 * token revokes that run's session only, never the next run's (a fixed id would stay revoked).
 */
async function seedDemo(pool: pg.Pool, log: (line: string) => void): Promise<string> {
  await pool.query(
    `INSERT INTO users (id, username, email, first_name, last_name, is_staff)
     VALUES ($1, 'demo', 'demo@example.com', 'Demo', 'User', true)
     ON CONFLICT (id) DO UPDATE SET is_active = true`,
    [DEV_DEMO_USER],
  );
  // Earlier runs' sessions stay usable until they expire; expired ones would only pile up.
  await pool.query('DELETE FROM sessions WHERE user_id = $1 AND expires_at < now()', [DEV_DEMO_USER]);
  const sessionId = await createSession(pool, {
    userId: DEV_DEMO_USER,
    ttlSeconds: DEMO_TTL_SECONDS,
    idPrefix: 'demo',
    data: { theme: 'dark' },
  });
  log(`seeded ${DEV_DEMO_USER} with a fresh session ${sessionId}`);
  return sessionId;
}
