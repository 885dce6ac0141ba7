// The benchmark's services: the local stack (dev/stack.ts) and one workerd
// per arm, each with its own Upstash and Neon servers (so their counters are
// that arm's alone) on the same Redis and database. One more edge-auth
// instance, the primer, fills Redis for the "L1 miss" arm without touching the
// measured isolate's L1. The Django-mode arm runs the same bundle on Django's
// tables in the same database, its credential the `sessionid` cookie.
import { Redis } from '@upstash/redis';
import { type ProtocolServers, startLocalStack } from '../dev/stack';
import type { Env } from '../src/env';
import { addUsers, openSessions } from '../tools/harness/logins';
import { cpuMs } from '../tools/harness/proc';
import { startWorkerd, type Workerd } from '../tools/harness/workerd';
import { ARMS, type Arm, DJANGO_ARM, type Variant, variantOf } from './arms';
import { djangoLogins } from './django-logins';
import { startBenchOrigin } from './origin';
import type { ConvoyEnv } from './workers/convoy';

const JWT_SECRET = 'edge-auth-bench-secret-edge-auth-bench-secret';
const REDIS_TOKEN = 'edge-auth-bench-redis-token';

/** What the benchmark needs to reach, and how edge-auth and the convoy are configured. */
export interface StackOptions {
  redisUrl: string;
  /** May CREATE DATABASE. */
  postgresAdminUrl: string;
  scripts: Record<Variant, string>;
  lockHoldMs: number;
  touchIntervalSeconds: number;
  sessionCacheTtlSeconds: number;
  l1CacheTtlSeconds: number;
}

/**
 * One Worker instance (its own workerd) and the protocol servers only it talks to. `fetch` sends
 * the login's token as the arm's credential: `Authorization: Bearer`, or Django's `sessionid` cookie.
 */
export type Target = ProtocolServers & Pick<Workerd, 'fetch' | 'pid'> & { cpuMs(): number };

/**
 * Starts everything; on any failure stops what already started and rethrows.
 *
 * @example
 * const stack = await startBenchStack({ redisUrl, postgresAdminUrl, scripts, … });
 * try { await stack.targets['edge-auth:l1'].fetch('/api/orders', token); } finally { await stack.stop(); }
 */
export async function startBenchStack(opts: StackOptions) {
  const local = await startLocalStack({
    label: 'bench',
    redisUrl: opts.redisUrl,
    postgresUrl: opts.postgresAdminUrl,
    redisToken: REDIS_TOKEN,
    poolSize: 2,
  });
  const workers: Workerd[] = [];
  const origin = await startBenchOrigin().catch(async (err) => {
    await local.stop();
    throw err;
  });
  const stop = async () => {
    await Promise.allSettled(workers.splice(0).map((w) => w.mf.dispose()));
    await origin.close();
    await local.stop();
  };
  const bindings = (variant: Variant, servers: ProtocolServers): Record<string, string> => {
    if (variant === 'passthrough') return { ORIGIN_URL: origin.url };
    const common = {
      DATABASE_URL: local.database.url,
      NEON_FETCH_ENDPOINT: servers.neon.endpoint,
      JWT_SECRET,
    };
    if (variant === 'convoy')
      return { ...common, ORIGIN_URL: origin.url, LOCK_HOLD_MS: String(opts.lockHoldMs) } satisfies ConvoyEnv;
    // edge-auth, and jwt-only (which parses the same configuration but never calls Redis or SQL).
    return {
      ...common,
      UPSTASH_REDIS_REST_URL: servers.upstash.url,
      UPSTASH_REDIS_REST_TOKEN: REDIS_TOKEN,
      REDIS_KEY_PREFIX: local.prefix,
      ORIGIN_URL: origin.url,
      TOUCH_INTERVAL_SECONDS: String(opts.touchIntervalSeconds),
      SESSION_CACHE_TTL_SECONDS: String(opts.sessionCacheTtlSeconds),
      L1_CACHE_TTL_SECONDS: String(opts.l1CacheTtlSeconds),
    } satisfies Env;
  };
  // One at a time, so each pid is the one new workerd child. With `cookie`, the token is sent as
  // that cookie (Django's `sessionid`) instead of a Bearer header.
  const start = async (
    variant: Variant,
    servers: ProtocolServers,
    extra: Record<string, string> = {},
    cookie?: string,
  ): Promise<Target> => {
    const w = await startWorkerd({
      script: opts.scripts[variant],
      bindings: { ...bindings(variant, servers), ...extra },
    });
    workers.push(w);
    return {
      ...servers,
      fetch: cookie ? withCookie(w, cookie) : w.fetch,
      pid: w.pid,
      cpuMs: () => cpuMs(w.pid),
    };
  };

  try {
    const django = await djangoLogins(local.pool);
    const targets = {} as Record<Arm, Target>;
    for (const [i, arm] of ARMS.entries()) {
      const servers = i === 0 ? local : await local.startServers();
      targets[arm] =
        arm === DJANGO_ARM
          ? await start('edge-auth', servers, django.bindings, 'sessionid')
          : await start(variantOf(arm), servers);
    }
    // Same bundle and Redis keys as edge-auth, own servers (its traffic never shows in the arms'
    // counters) and no L1 of its own: its misses write the entries the L1-miss isolate then reads.
    const primer = await start('edge-auth', await local.startServers(), { L1_CACHE_TTL_SECONDS: '0' });
    const cache = new Redis({ url: primer.upstash.url, token: REDIS_TOKEN, enableTelemetry: false });
    return {
      db: local.database,
      targets,
      primer,
      /** Remaining TTL (ms) of a session's cache entry in edge-auth's Redis; negative when absent. */
      sessionTtlMs: (sid: string) => cache.pttl(`${local.prefix}session:${sid}`),
      /** Users of `arm`: edge-auth's `users`, or Django's `auth_user` for the Django-mode arm. */
      addUsers: async (arm: Arm, userIds: string[]) => {
        await (arm === DJANGO_ARM ? django.addUsers(userIds) : addUsers(local.pool, userIds));
      },
      /** A new session for each user, in the arm's credential. */
      login: (arm: Arm, userIds: string[], tag: string) =>
        arm === DJANGO_ARM ? django.login(userIds, tag) : openSessions(local.pool, userIds, JWT_SECRET, tag),
      /** last_login writes as the database saw them (a trigger). */
      writeLog: local.writeLog,
      async postgresVersion(): Promise<string> {
        const { rows } = await local.pool.query<{ server_version: string }>('SHOW server_version');
        return rows[0]?.server_version ?? 'unknown';
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export type BenchStack = Awaited<ReturnType<typeof startBenchStack>>;

/**
 * A workerd's `fetch` that sends the token as the cookie `name` (Django's `sessionid`), not as a
 * Bearer header.
 * @example const fetch = withCookie(worker, 'sessionid'); await fetch('/api/orders', sessionKey);
 */
export function withCookie(worker: Workerd, name: string): Workerd['fetch'] {
  return (path, token) =>
    worker.mf.dispatchFetch(`http://edge.bench${path}`, { headers: { Cookie: `${name}=${token}` } });
}
