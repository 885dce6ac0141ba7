/**
 * Every binding edge-auth reads. Values arrive as strings from `wrangler.toml`
 * `[vars]`, `.dev.vars` or `wrangler secret put`; `parseConfig` validates them.
 * `.dev.vars.example` documents each one.
 */
export interface Env {
  UPSTASH_REDIS_REST_URL?: string;
  UPSTASH_REDIS_REST_TOKEN?: string;
  DATABASE_URL?: string;
  NEON_FETCH_ENDPOINT?: string;
  /** The users table, `table` or `schema.table` (default `users`); e.g. `auth_user` for Django. */
  USERS_TABLE?: string;
  /** Type of that table's `id` primary key: `text` (default), `integer` or `bigint` (Django: `integer`). */
  USER_ID_TYPE?: string;
  /** The timestamp column the touch writes (default `last_login`); e.g. `last_seen`. */
  TOUCH_COLUMN?: string;

  JWT_SECRET?: string;
  JWT_PUBLIC_JWKS?: string;
  JWT_JWKS_URL?: string;
  JWT_ALGORITHMS?: string;
  JWT_ISSUER?: string;
  JWT_AUDIENCE?: string;
  CLOCK_TOLERANCE_SECONDS?: string;
  SESSION_COOKIE?: string;

  SESSION_CACHE_TTL_SECONDS?: string;
  TOUCH_INTERVAL_SECONDS?: string;
  L1_CACHE_TTL_SECONDS?: string;
  L1_CACHE_MAX_ENTRIES?: string;
  REDIS_KEY_PREFIX?: string;
  REDIS_TIMEOUT_MS?: string;
  DATABASE_TIMEOUT_MS?: string;

  ORIGIN_URL?: string;
  PUBLIC_PATHS?: string;
  CORS_PREFLIGHT?: string;

  ASSERTION_SIGNING_KEY?: string;
  ASSERTION_ISSUER?: string;
  ASSERTION_AUDIENCE?: string;
  ASSERTION_TTL_SECONDS?: string;

  /** Optional Workers Analytics Engine dataset: one data point per request. */
  ANALYTICS?: AnalyticsEngineDataset;
}
