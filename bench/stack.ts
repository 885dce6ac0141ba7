// The benchmark's slice of the local stack (dev/stack.ts): a fresh database
// with the write log, a Redis key prefix, an origin, and per arm its own
// workerd instance (whose CPU time is read from /proc) with its own Upstash
// and Neon protocol servers (so each arm's round trips are counted apart).
// The three edge-auth arms run the same bundle on the same Redis keys and
// database, each in its own isolate, so each is loaded as often as the other
// Workers. One more edge-auth instance, the primer, fills Redis for the
// "L1 miss, Redis hit" arm without touching the measured isolate's L1.
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { Redis } from '@upstash/redis';
import { Miniflare, type MiniflareOptions, type Response as WorkerResponse } from 'miniflare';
import { type ProtocolServers, startLocalStack } from '../dev/stack';
import { mintToken } from '../dev/tokens';
import type { Env } from '../src/env';
import { ARMS, type Arm, variantOf } from './arms';
import { COMPATIBILITY_DATE, type Variant } from './build';
import { cpuMs, withNewChild } from './cpu';
import { startBenchOrigin } from './origin';
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
  l1CacheTtlSeconds: number;
}

/** One Worker instance (its own workerd process) and the protocol servers only it talks to. */
export interface Target extends ProtocolServers {
  fetch(path: string, token: string): Promise<WorkerResponse>;
  /** CPU time its workerd process has used so far, ms (NaN where /proc cannot be read). */
  cpuMs(): number;
  /** The workerd process, when found. */
  pid: number | undefined;
}

/** A user's login: who, which session, and the token that carries both. */
export interface Login {
  userId: string;
  sessionId: string;
  token: string;
}

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
  const { database: db, pool, prefix } = local;
  const workers: Miniflare[] = [];
  const origin = await startBenchOrigin().catch(async (err) => {
    await local.stop();
    throw err;
  });
  const stop = async () => {
    await Promise.allSettled(workers.splice(0).map((mf) => mf.dispose()));
    await origin.close();
    await local.stop();
  };
  const at = { db: db.url, origin: origin.url, prefix, opts };

  /** One workerd instance, started alone so its pid is the one new workerd child. */
  async function start(
    servers: ProtocolServers,
    script: string,
    bindings: Record<string, string>,
  ): Promise<Target> {
    const { mf, pid } = await startWorkerd(script, bindings);
    workers.push(mf);
    return {
      ...servers,
      pid,
      cpuMs: () => cpuMs(pid),
      fetch: (path, token) =>
        mf.dispatchFetch(`http://edge.bench${path}`, { headers: { Authorization: `Bearer ${token}` } }),
    };
  }

  try {
    const targets = {} as Record<Arm, Target>;
    for (const [i, arm] of ARMS.entries()) {
      const variant = variantOf(arm);
      const servers = i === 0 ? local : await local.startServers();
      targets[arm] = await start(servers, opts.scripts[variant], variantBindings(variant, servers, at));
    }
    // Same bundle and Redis keys as edge-auth, own servers (its traffic never shows in the arms'
    // counters) and no L1 of its own: its misses write the entries the L1-miss isolate then reads.
    const primerServers = await local.startServers();
    const primer = await start(primerServers, opts.scripts['edge-auth'], {
      ...variantBindings('edge-auth', primerServers, at),
      L1_CACHE_TTL_SECONDS: '0',
    });
    // The edge-auth keys, read through the primer's Upstash server (works on either engine).
    const cache = new Redis({
      url: primer.upstash.url,
      token: REDIS_TOKEN,
      enableTelemetry: false,
      automaticDeserialization: false,
    });

    return {
      db,
      origin,
      prefix,
      targets,
      primer,
      /** Remaining TTL (ms) of a session's cache entry in edge-auth's Redis; negative when absent. */
      sessionTtlMs: (sid: string) => cache.pttl(`${prefix}session:${sid}`),
      /** Creates users (no session yet). */
      async addUsers(userIds: string[]): Promise<void> {
        await pool.query('INSERT INTO users (id, username) SELECT u, u FROM unnest($1::text[]) AS u', [
          userIds,
        ]);
      },
      /**
       * Opens one new session (valid for an hour) per user, named `s-<user>-<tag>`, and returns
       * the logins: a new session id is unknown to every L1 and to Redis.
       */
      async login(userIds: string[], tag: string): Promise<Login[]> {
        const sessionIds = userIds.map((u) => `s-${u}-${tag}`);
        await pool.query(
          `INSERT INTO sessions (id, user_id, expires_at)
           SELECT s, u, now() + interval '1 hour' FROM unnest($1::text[], $2::text[]) AS t(s, u)`,
          [sessionIds, userIds],
        );
        return Promise.all(
          userIds.map(async (userId, i) => {
            const sessionId = sessionIds[i] as string;
            return { userId, sessionId, token: await mintToken({ secret: JWT_SECRET, userId, sessionId }) };
          }),
        );
      },
      /** last_login writes as the database saw them (a trigger). */
      writeLog: local.writeLog,
      async postgresVersion(): Promise<string> {
        const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
        return rows[0]?.server_version ?? 'unknown';
      },
      /** Injected before every Redis and SQL HTTP request is answered, for every instance. */
      setLatency(ms: number) {
        for (const t of [...Object.values(targets), primer]) {
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
 * One bundled Worker in its own workerd (Miniflare), started alone so its pid is the one new
 * workerd child: its CPU time can then be read from /proc.
 *
 * @example const { mf, pid } = await startWorkerd(script, { ORIGIN_URL: origin.url });
 */
export async function startWorkerd(
  script: string,
  bindings: Record<string, string> = {},
): Promise<{ mf: Miniflare; pid: number | undefined }> {
  const { value: mf, pid } = await withNewChild('workerd', async () => {
    const created = withoutExitOnSignal(
      () =>
        new Miniflare({
          modules: true,
          scriptPath: script,
          // Bundles live in temp dirs; module paths are resolved from there.
          modulesRoot: dirname(script),
          compatibilityDate: COMPATIBILITY_DATE,
          bindings,
          // edge-auth logs one JSON line per request to stdout: drained here, not relayed, so
          // this process does not print thousands of lines (its own CPU is part of the harness).
          // Errors (stderr) still show.
          handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
            stdout.resume();
            stderr.pipe(process.stderr);
          },
        } satisfies MiniflareOptions),
    );
    try {
      await created.ready;
    } catch (err) {
      await created.dispose().catch(() => {});
      throw err;
    }
    return created;
  });
  return { mf, pid };
}

/**
 * Miniflare's exit hook answers SIGINT/SIGTERM with an immediate
 * `process.exit`, which would skip `stop()` and leave the database and Redis
 * keys behind. Its signal listeners are removed, so the caller (the CLI aborts
 * and then stops) owns signals; its `exit` hook still kills workerd if the
 * process dies anyway.
 */
export function withoutExitOnSignal<T>(create: () => T): T {
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

function variantBindings(
  variant: Variant,
  servers: ProtocolServers,
  at: { db: string; origin: string; prefix: string; opts: StackOptions },
): Record<string, string> {
  if (variant === 'passthrough') return { ORIGIN_URL: at.origin } satisfies PassthroughEnv;
  if (variant === 'convoy') {
    return {
      DATABASE_URL: at.db,
      NEON_FETCH_ENDPOINT: servers.neon.endpoint,
      JWT_SECRET,
      ORIGIN_URL: at.origin,
      LOCK_HOLD_MS: String(at.opts.lockHoldMs),
    } satisfies ConvoyEnv;
  }
  // edge-auth, and jwt-only (which parses the same configuration but never calls Redis or SQL).
  return {
    UPSTASH_REDIS_REST_URL: servers.upstash.url,
    UPSTASH_REDIS_REST_TOKEN: REDIS_TOKEN,
    DATABASE_URL: at.db,
    NEON_FETCH_ENDPOINT: servers.neon.endpoint,
    JWT_SECRET,
    REDIS_KEY_PREFIX: at.prefix,
    ORIGIN_URL: at.origin,
    TOUCH_INTERVAL_SECONDS: String(at.opts.touchIntervalSeconds),
    SESSION_CACHE_TTL_SECONDS: String(at.opts.sessionCacheTtlSeconds),
    L1_CACHE_TTL_SECONDS: String(at.opts.l1CacheTtlSeconds),
  } satisfies Env;
}
