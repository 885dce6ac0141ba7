import type { TestProject } from 'vitest/node';
import { ensurePostgres, ensureRedis } from '../../dev/services';

declare module 'vitest' {
  export interface ProvidedContext {
    /** redis:// URL of a real Redis, or MEMORY_REDIS_URL when only the in-memory fallback is available. */
    redisUrl: string;
    /** How the Redis was obtained; 'memory' means no real Redis on this machine. */
    redisKind: 'existing' | 'spawned' | 'memory';
    /** Admin URL (may CREATE DATABASE); test files call createDatabase() with it. */
    postgresAdminUrl: string;
    /** Host/port/credentials for startNeonServer({ upstream }). */
    postgresUpstream: { host: string; port: number; user: string; password?: string };
  }
}

const log = (msg: string) => console.log(`[services] ${msg}`);

/**
 * Finds or starts Redis and PostgreSQL once per integration run and hands their
 * coordinates to the test files; stops whatever it started when the run ends.
 * Per-run isolation (a database, a key prefix) is each test file's job.
 */
export default async function setup(project: TestProject) {
  const redis = await ensureRedis({ log });
  let postgres: Awaited<ReturnType<typeof ensurePostgres>>;
  try {
    postgres = await ensurePostgres({ log });
  } catch (err) {
    await redis.stop();
    throw err;
  }
  project.provide('redisUrl', redis.url);
  project.provide('redisKind', redis.kind);
  project.provide('postgresAdminUrl', postgres.url);
  const { host, port, user, password } = postgres;
  project.provide('postgresUpstream', { host, port, user, ...(password === undefined ? {} : { password }) });
  return async () => {
    await Promise.allSettled([redis.stop(), postgres.stop()]);
  };
}
