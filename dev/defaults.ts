/**
 * Local development settings shared by `npm run dev`, `npm run token`, the
 * tests and the benchmarks. Never used in production: `wrangler secret put`
 * sets the real ones.
 */
export const DEV_JWT_SECRET = 'edge-auth-local-development-secret';
export const DEV_REDIS_TOKEN = 'edge-auth-local-redis-token';
export const DEV_WORKER_PORT = 8787;
