// The local stack in one call, shared by `npm run dev`, the workerd suites
// (test/support/stack.ts) and the benchmark (bench/stack.ts): Redis and
// PostgreSQL found or started, a migrated database with the write log, a
// Redis key prefix of its own, the Upstash and Neon protocol servers in front
// of them and, if asked, the echo origin. stop() undoes what start did.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../scripts/migrate';
import type { UsersTableConfig } from '../src/config/database';
import type { Env } from '../src/env';
import { DEV_REDIS_TOKEN } from './defaults';
import { type NeonServer, startNeonServer } from './neon/server';
import { startEchoOrigin } from './origin';
import {
  createDatabase,
  ensurePostgres,
  ensureRedis,
  type PostgresService,
  type RedisService,
  type TestDatabase,
} from './services';
import type { RedisEngine } from './upstash/engine';
import { createMemoryEngine } from './upstash/memory-engine';
import { createRedisEngine } from './upstash/redis-engine';
import { startUpstashServer, type UpstashServer } from './upstash/server';
import { installWriteLog, type WriteLog } from './write-log';

/** The demo/test origin that echoes what it receives. */
export type EchoOrigin = Awaited<ReturnType<typeof startEchoOrigin>>;

/** Options for `startLocalStack`; every one has a default. */
export interface LocalStackOptions {
  /** Names the run in its database and key prefix (`edge_auth_<label>_…`, `edge-auth-<label>-…:`). Default 'local'. */
  label?: string;
  /** Use this database, created if missing and kept by stop() (`npm run dev`). Default: a fresh one, dropped by stop(). */
  database?: string;
  /** Redis to look for first (default REDIS_URL, else redis://127.0.0.1:6379); MEMORY_REDIS_URL picks the in-memory engine. */
  redisUrl?: string;
  /** PostgreSQL admin URL to look for first (default DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres). */
  postgresUrl?: string;
  /** Bearer token the Upstash servers accept. Default DEV_REDIS_TOKEN. */
  redisToken?: string;
  /** The users table the migration references (`USERS_TABLE` …). Default: edge-auth's own `users`. */
  users?: UsersTableConfig;
  /** Also start the echo origin. Default false. */
  origin?: boolean;
  /** Connections in `pool`. Default 4. */
  poolSize?: number;
  /** Progress lines (which Redis and PostgreSQL, migrations); hosts and ports only, never URLs. */
  log?: (line: string) => void;
}

/** One Upstash + Neon server pair in front of the stack's Redis and PostgreSQL. */
export interface ProtocolServers {
  upstash: UpstashServer;
  neon: NeonServer;
}

/**
 * The Redis connection (or in-memory keyspace) the Upstash servers of a stack share.
 * @example const engine = openEngine(await ensureRedis()); …; await engine.close();
 */
export function openEngine(redis: RedisService): RedisEngine {
  return redis.kind === 'memory' ? createMemoryEngine() : createRedisEngine(redis.url);
}

/** Where `startProtocolServers` listens; 0 (the default) picks a free port. */
export interface ServerPorts {
  upstashPort?: number;
  neonPort?: number;
}

/**
 * An Upstash REST server on `engine` and a Neon SQL-over-HTTP server in front of `postgres`, on
 * 127.0.0.1. Closes the first if the second cannot start.
 * @example const { upstash, neon } = await startProtocolServers(engine, postgres, 'token', {});
 */
export async function startProtocolServers(
  engine: RedisEngine,
  postgres: PostgresService,
  token: string,
  ports: ServerPorts,
): Promise<ProtocolServers> {
  const upstash = await startUpstashServer({ engine, token, port: ports.upstashPort ?? 0 });
  try {
    const neon = await startNeonServer({ upstream: postgres, port: ports.neonPort ?? 0 });
    return { upstash, neon };
  } catch (err) {
    await upstash.close();
    throw err;
  }
}

/** A running local stack. */
export interface LocalStack extends ProtocolServers {
  redis: RedisService;
  postgres: PostgresService;
  /** The migrated database, with the write log installed. */
  database: TestDatabase;
  /** A pool on `database`, for seeding and assertions. */
  pool: pg.Pool;
  /** Redis key prefix of this run (`REDIS_KEY_PREFIX`); stop() deletes its keys. */
  prefix: string;
  redisToken: string;
  origin: EchoOrigin | undefined;
  /** last_login writes as the database saw them. */
  writeLog: WriteLog;
  /** The bindings that point a Worker at this stack (no key source: the caller picks one). */
  env(): Env;
  /** Another server pair (separate counters) on the same Redis and database; stop() closes it. */
  startServers(): Promise<ProtocolServers>;
  /** Stops and removes everything start did, in reverse order; never throws. */
  stop(): Promise<void>;
}

/**
 * Finds or starts Redis and PostgreSQL, creates and migrates a database, picks a key prefix and
 * starts the protocol servers (and the echo origin). On failure, undoes what it did and rethrows.
 *
 * @example
 * const stack = await startLocalStack({ label: 'test', origin: true });
 * try { new Redis({ url: stack.upstash.url, token: stack.redisToken }); … } finally { await stack.stop(); }
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const label = options.label ?? 'local';
  const log = options.log ?? (() => undefined);
  const token = options.redisToken ?? DEV_REDIS_TOKEN;
  const undo: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    undo.length = 0;
  };
  try {
    const redis = await ensureRedis({ ...(options.redisUrl ? { url: options.redisUrl } : {}), log });
    undo.push(() => redis.stop());
    const postgres = await ensurePostgres({
      ...(options.postgresUrl ? { url: options.postgresUrl } : {}),
      log,
    });
    undo.push(() => postgres.stop());
    const database = await createDatabase(postgres.url, {
      label,
      ...(options.database ? { name: options.database } : {}),
    });
    if (!options.database) undo.push(() => database.drop());
    const applied = await migrate(database.url, options.users ? { users: options.users } : {});
    log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'schema up to date');
    const pool = new pg.Pool({ connectionString: database.url, max: options.poolSize ?? 4 });
    pool.on('error', () => undefined); // an idle client dies with its database; the pool replaces it
    undo.push(() => pool.end());
    const writeLog = await installWriteLog(pool);

    // One Redis connection (or in-memory keyspace) shared by every Upstash server of the stack.
    const engine = openEngine(redis);
    undo.push(() => engine.close());
    const prefix = `edge-auth-${label}-${randomBytes(4).toString('hex')}:`;
    undo.push(async () => {
      const [keys] = await engine.pipeline([['KEYS', `${prefix}*`]]);
      if (Array.isArray(keys) && keys.length > 0) await engine.pipeline([['DEL', ...keys.map(String)]]);
    });
    const startServers = async (): Promise<ProtocolServers> => {
      const servers = await startProtocolServers(engine, postgres, token, {});
      undo.push(() => servers.upstash.close());
      undo.push(() => servers.neon.close());
      return servers;
    };
    const { upstash, neon } = await startServers();
    const origin = options.origin ? await startEchoOrigin() : undefined;
    if (origin) undo.push(() => origin.close());

    return {
      redis,
      postgres,
      database,
      pool,
      prefix,
      redisToken: token,
      upstash,
      neon,
      origin,
      writeLog,
      env: () => ({
        UPSTASH_REDIS_REST_URL: upstash.url,
        UPSTASH_REDIS_REST_TOKEN: token,
        DATABASE_URL: database.url,
        NEON_FETCH_ENDPOINT: neon.endpoint,
        REDIS_KEY_PREFIX: prefix,
        ...(origin ? { ORIGIN_URL: origin.url } : {}),
      }),
      startServers,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
