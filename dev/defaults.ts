/**
 * Local development settings shared by `npm run dev`, `npm run token`, the
 * tests and the benchmarks. Never used in production: `wrangler secret put`
 * sets the real ones. There is no fixed JWT secret: a published one would
 * sign tokens for anyone (the Worker refuses the old one); `npm run dev`
 * makes a random one per run.
 */
export const DEV_REDIS_TOKEN = 'edge-auth-local-redis-token';
export const DEV_WORKER_PORT = 8787;
/** PostgreSQL server `npm run dev` and `npm run token` look for when DATABASE_URL is unset. */
export const DEV_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
/** The database on that server that `npm run dev` migrates and seeds; it survives restarts. */
export const DEV_DATABASE = 'edge_auth_dev';
/** The user `npm run dev` seeds and `npm run token` mints for by default. */
export const DEV_DEMO_USER = 'demo-user';
/** Fixed ports of `edge-auth local`'s Upstash REST and Neon SQL-over-HTTP servers, so a `.dev.vars` keeps working. */
export const LOCAL_UPSTASH_PORT = 8079;
export const LOCAL_NEON_PORT = 8432;
/** The database `edge-auth local` creates when no DATABASE_URL names one. */
export const LOCAL_DATABASE = 'edge_auth_local';

/** The dev database's name: EDGE_AUTH_DEV_DATABASE picks another (the tests use a throwaway one). */
export function devDatabaseName(): string {
  return process.env.EDGE_AUTH_DEV_DATABASE ?? DEV_DATABASE;
}
