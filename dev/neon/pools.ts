// One small pg.Pool per (user, database, password) seen in Neon-Connection-String
// headers, all pointing at the configured upstream host and port. Sessions run
// in UTC so timestamptz text output does not depend on the machine's zone.
import pg from 'pg';
import type { Target } from './wire';

/** Where the pools connect; the header's host and port are ignored. */
export interface Upstream {
  host: string;
  port: number;
  /** Used when the header names no user (it always does with `neon()`). */
  user?: string;
  /** Used when the header carries no password. */
  password?: string;
}

/** The pools of one server. */
export interface Pools {
  /** The pool for this target, created on first use. */
  get(target: Target): pg.Pool;
  /** Ends every pool (waits for checked-out clients to be released). */
  close(): Promise<void>;
}

/**
 * Creates the pool registry.
 * @example const pools = createPools({ host: '127.0.0.1', port: 5432 }); pools.get(target).query(...)
 */
export function createPools(upstream: Upstream): Pools {
  const pools = new Map<string, pg.Pool>();
  return {
    get(target) {
      const user = target.user || upstream.user || 'postgres';
      const password = target.password || upstream.password;
      const key = JSON.stringify([user, target.database, password ?? '']);
      let pool = pools.get(key);
      if (!pool) {
        pool = new pg.Pool({
          host: upstream.host,
          port: upstream.port,
          user,
          password,
          database: target.database,
          max: 10,
          idleTimeoutMillis: 10_000,
          connectionTimeoutMillis: 5_000,
          options: '-c TimeZone=UTC',
          application_name: 'neon-local',
        });
        // An idle client dies when its database is dropped (tests do that); the pool replaces it.
        pool.on('error', () => undefined);
        pools.set(key, pool);
      }
      return pool;
    },
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.end()));
    },
  };
}
