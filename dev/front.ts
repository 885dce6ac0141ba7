// The local Upstash REST and Neon SQL-over-HTTP servers in front of a database
// of the user's own (`edge-auth local`, `npm run dev -- --database-url`): the
// database is used as it is — migrated unless told not to, never created,
// dropped, seeded or given the tests' write-log trigger.
import { migrate } from '../scripts/migrate';
import type { UsersTableConfig } from '../src/config/database';
import type { Env } from '../src/env';
import { ensureRedis, type PostgresService, type RedisService } from './services';
import { openEngine, type ProtocolServers, type ServerPorts, startProtocolServers } from './stack';

/** Options for `startFront`. */
export interface FrontOptions extends ServerPorts {
  /** The Worker's database, as its DATABASE_URL names it. */
  databaseUrl: string;
  /** The server it lives on (found, started or required by the caller); stop() stops it. */
  postgres: PostgresService;
  /** Redis to look for first (default REDIS_URL, else redis://127.0.0.1:6379); started when none answers. */
  redisUrl?: string;
  /** Bearer token the Upstash server accepts. */
  redisToken: string;
  /** The users table the migration references. Default: edge-auth's own `users`. */
  users?: UsersTableConfig;
  /** Apply the schema first (idempotent). Default true. */
  migrate?: boolean;
  /** Progress lines; hosts and ports only, never URLs. */
  log?: (line: string) => void;
}

/** The running servers and what they front. */
export interface Front extends ProtocolServers {
  redis: RedisService;
  postgres: PostgresService;
  databaseUrl: string;
  redisToken: string;
  /** The four bindings that point a Worker at these servers (a `.dev.vars` block). */
  env(): Required<
    Pick<Env, 'UPSTASH_REDIS_REST_URL' | 'UPSTASH_REDIS_REST_TOKEN' | 'DATABASE_URL' | 'NEON_FETCH_ENDPOINT'>
  >;
  /** Stops what start did (and `postgres`), in reverse order; never throws. */
  stop(): Promise<void>;
}

/**
 * Migrates the database, finds or starts Redis and starts the two protocol servers. On failure,
 * stops what it started (and `postgres`) and rethrows.
 *
 * @example
 * const front = await startFront({ databaseUrl, postgres: await requirePostgres(databaseUrl), redisToken });
 * console.log(front.env().NEON_FETCH_ENDPOINT); …; await front.stop();
 */
export async function startFront(options: FrontOptions): Promise<Front> {
  const log = options.log ?? (() => undefined);
  const undo: (() => Promise<unknown>)[] = [() => options.postgres.stop()];
  const stop = async () => {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    undo.length = 0;
  };
  try {
    if (options.migrate !== false) {
      const applied = await migrate(options.databaseUrl, options.users ? { users: options.users } : {});
      log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'schema up to date');
    }
    const redis = await ensureRedis({ ...(options.redisUrl ? { url: options.redisUrl } : {}), log });
    undo.push(() => redis.stop());
    const engine = openEngine(redis);
    undo.push(() => engine.close());
    const servers = await startProtocolServers(engine, options.postgres, options.redisToken, options);
    undo.push(
      () => servers.upstash.close(),
      () => servers.neon.close(),
    );
    return {
      ...servers,
      redis,
      postgres: options.postgres,
      databaseUrl: options.databaseUrl,
      redisToken: options.redisToken,
      env: () => ({
        UPSTASH_REDIS_REST_URL: servers.upstash.url,
        UPSTASH_REDIS_REST_TOKEN: options.redisToken,
        DATABASE_URL: options.databaseUrl,
        NEON_FETCH_ENDPOINT: servers.neon.endpoint,
      }),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
