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
  /** `true` to allow a `PUBLIC_PATHS` entry that covers every path (`/`, `/*`): authentication off. */
  PUBLIC_PATHS_ALLOW_ALL?: string;
  CORS_PREFLIGHT?: string;
  /** Client header names with `_` the origin may still receive (comma list); every other one is dropped. */
  ALLOW_HEADERS_WITH_UNDERSCORES?: string;
  /** `true` to forward edge-auth's own cookie and Bearer token to the origin (default: removed). */
  FORWARD_CREDENTIALS?: string;
  /** Origins besides edge-auth's own whose pages may log a cookie-authenticated user out (comma list). */
  TRUSTED_ORIGINS?: string;

  ASSERTION_SIGNING_KEY?: string;
  ASSERTION_ISSUER?: string;
  ASSERTION_AUDIENCE?: string;
  ASSERTION_TTL_SECONDS?: string;

  /** Optional Workers Analytics Engine dataset: one data point per request. */
  ANALYTICS?: AnalyticsEngineDataset;
}
