// The benchmark's slice of the local stack (dev/stack.ts): a fresh database
// with the write log, a Redis key prefix, an echo origin, and per variant its
// own Upstash and Neon protocol servers (so each variant's round trips are
// counted apart) plus its own workerd instance.
import { dirname } from 'node:path';
import { Redis } from '@upstash/redis';
import { Miniflare, type Response as WorkerResponse } from 'miniflare';
import { type EchoOrigin, type ProtocolServers, startLocalStack } from '../dev/stack';
import { mintToken } from '../dev/tokens';
import type { Env } from '../src/env';
import { COMPATIBILITY_DATE, VARIANTS, type Variant } from './build';
import type { ConvoyEnv } from './workers/convoy';
import type { PassthroughEnv } from './workers/passthrough';

const JWT_SECRET = 'edge-auth-bench-secret-edge-auth-bench-secret';
const REDIS_TOKEN = 'edge-auth-bench-redis-token';

/** What the benchmark needs to reach. */
export interface StackOptions {
  /** A redis:// URL, or MEMORY_REDIS_URL for the in-memory fallback. */
  redisUrl: string;
  /** May CREATE DATABASE. */
  postgresAdminUrl: string;
  scripts: Record<Variant, string>;
  lockHoldMs: number;
  touchIntervalSeconds: number;
  sessionCacheTtlSeconds: number;
}

/** One variant's Worker and the protocol servers only it talks to. */
export interface Target extends ProtocolServers {
  variant: Variant;
  fetch(path: string, token: string): Promise<WorkerResponse>;
}

/**
 * Starts everything; on any failure stops what already started and rethrows.
 *
 * @example
 * const stack = await startBenchStack({ redisUrl, postgresAdminUrl, scripts, … });
 * try { await stack.targets.convoy.fetch('/api/orders', token); } finally { await stack.stop(); }
 */
export async function startBenchStack(opts: StackOptions) {
  const local = await startLocalStack({
    label: 'bench',
    redisUrl: opts.redisUrl,
    postgresUrl: opts.postgresAdminUrl,
    redisToken: REDIS_TOKEN,
    origin: true,
    poolSize: 2,
  });
  const { database: db, pool, prefix } = local;
  const origin = local.origin as EchoOrigin;
  const workers: Miniflare[] = [];
  const stop = async () => {
    await Promise.allSettled(workers.splice(0).map((mf) => mf.dispose()));
    await local.stop();
  };
  try {
    const targets = {} as Record<Variant, Target>;
    for (const [i, variant] of VARIANTS.entries()) {
      const { upstash, neon } = i === 0 ? local : await local.startServers();
      const bindings = variantBindings(variant, {
        upstash: upstash.url,
        neon: neon.endpoint,
        db: db.url,
        origin: origin.url,
        prefix,
        opts,
      });
      const mf = withoutExitOnSignal(
        () =>
          new Miniflare({
            modules: true,
            scriptPath: opts.scripts[variant],
            // Bundles live in temp dirs; module paths are resolved from there.
            modulesRoot: dirname(opts.scripts[variant]),
            compatibilityDate: COMPATIBILITY_DATE,
            bindings,
          }),
      );
      workers.push(mf);
      await mf.ready;
      targets[variant] = {
        variant,
        neon,
        upstash,
        fetch: (path, token) =>
          mf.dispatchFetch(`http://edge.bench${path}`, { headers: { Authorization: `Bearer ${token}` } }),
      };
    }
    // The edge-auth keys, read through its Upstash server (works on either engine); stop() deletes them.
    const cache = new Redis({
      url: targets['edge-auth'].upstash.url,
      token: REDIS_TOKEN,
      enableTelemetry: false,
      automaticDeserialization: false,
    });

    return {
      db,
      origin,
      prefix,
      targets,
      /** Remaining TTL (ms) of a session's cache entry in edge-auth's Redis; negative when absent. */
      sessionTtlMs: (sid: string) => cache.pttl(`${prefix}session:${sid}`),
      /** Drops a session's cache entry, so edge-auth's next request misses and re-caches it. */
      forgetSession: (sid: string) => cache.del(`${prefix}session:${sid}`),
      /** Creates users (and their sessions) and returns one token per user. */
      async seed(userIds: string[]): Promise<string[]> {
        return Promise.all(
          userIds.map(async (id) => {
            await pool.query('INSERT INTO users (id, username) VALUES ($1, $1)', [id]);
            await pool.query(
              "INSERT INTO sessions (id, user_id, expires_at) VALUES ($1, $2, now() + interval '1 hour')",
              [sessionOf(id), id],
            );
            return mintToken({ secret: JWT_SECRET, userId: id, sessionId: sessionOf(id) });
          }),
        );
      },
      /** last_login writes as the database saw them (a trigger). */
      writeLog: {
        ...local.writeLog,
        /**
         * Mean time between consecutive writes of the same user after `position`, over users with
         * at least two writes (the convoy's real lock hold per hand-off); null when there are none.
         */
        async spacingMs(after: number, users: string[]): Promise<number | null> {
          const times = new Map<string, number[]>();
          for (const e of await local.writeLog.entries({ after, users })) {
            times.set(e.userId, [...(times.get(e.userId) ?? []), e.writtenAtMs]);
          }
          const gaps = [...times.values()]
            .filter((t) => t.length > 1)
            .map((t) => (Math.max(...t) - Math.min(...t)) / (t.length - 1));
          return gaps.length > 0 ? gaps.reduce((a, b) => a + b, 0) / gaps.length : null;
        },
      },
      async postgresVersion(): Promise<string> {
        const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
        return rows[0]?.server_version ?? 'unknown';
      },
      /** Injected before every Redis and SQL HTTP request is answered, for every variant. */
      setLatency(ms: number) {
        for (const t of Object.values(targets)) {
          t.neon.setLatency(ms);
          t.upstash.setLatency(ms);
        }
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
 * Miniflare's exit hook answers SIGINT/SIGTERM with an immediate
 * `process.exit`, which would skip `stop()` and leave the database and Redis
 * keys behind. Its signal listeners are removed, so the caller (the CLI aborts
 * and then stops) owns signals; its `exit` hook still kills workerd if the
 * process dies anyway.
 */
function withoutExitOnSignal<T>(create: () => T): T {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const created = create();
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.off(signal, listener);
    }
  }
  return created;
}

/** The session id seeded for a user. */
export const sessionOf = (userId: string) => `s-${userId}`;

function variantBindings(
  variant: Variant,
  at: { upstash: string; neon: string; db: string; origin: string; prefix: string; opts: StackOptions },
): Record<string, string> {
  if (variant === 'passthrough') return { ORIGIN_URL: at.origin } satisfies PassthroughEnv;
  if (variant === 'convoy') {
    return {
      DATABASE_URL: at.db,
      NEON_FETCH_ENDPOINT: at.neon,
      JWT_SECRET,
      ORIGIN_URL: at.origin,
      LOCK_HOLD_MS: String(at.opts.lockHoldMs),
    } satisfies ConvoyEnv;
  }
  return {
    UPSTASH_REDIS_REST_URL: at.upstash,
    UPSTASH_REDIS_REST_TOKEN: REDIS_TOKEN,
    DATABASE_URL: at.db,
    NEON_FETCH_ENDPOINT: at.neon,
    JWT_SECRET,
    REDIS_KEY_PREFIX: at.prefix,
    ORIGIN_URL: at.origin,
    TOUCH_INTERVAL_SECONDS: String(at.opts.touchIntervalSeconds),
    SESSION_CACHE_TTL_SECONDS: String(at.opts.sessionCacheTtlSeconds),
  } satisfies Env;
}
