/**
 * The one home of every default and bound: `parseConfig` (env strings), the
 * middleware's options, the adapters, the signer, the tests and the
 * documentation read them here. `src/config/defaults.test.ts` fails when
 * `wrangler.toml`, `.dev.vars.example` or docs/configuration.md says otherwise.
 */
export const NUMBERS = {
  SESSION_CACHE_TTL_SECONDS: { default: 10, min: 0, max: 300 },
  TOUCH_INTERVAL_SECONDS: { default: 300, min: 1, max: 30 * 24 * 3600 },
  L1_CACHE_TTL_SECONDS: { default: 2, min: 0, max: 300 },
  L1_CACHE_MAX_ENTRIES: { default: 10_000, min: 1, max: 1_000_000 },
  REDIS_TIMEOUT_MS: { default: 1000, min: 50, max: 30_000 },
  DATABASE_TIMEOUT_MS: { default: 3000, min: 50, max: 60_000 },
  CLOCK_TOLERANCE_SECONDS: { default: 5, min: 0, max: 300 },
  ASSERTION_TTL_SECONDS: { default: 30, min: 5, max: 300 },
  DJANGO_SESSION_COOKIE_AGE: { default: 1_209_600, min: 1, max: 10 * 365 * 24 * 3600 },
} as const satisfies Record<string, { default: number; min: number; max: number }>;

export const TEXTS = {
  SESSION_COOKIE: 'session',
  REDIS_KEY_PREFIX: 'edge-auth:',
  CORS_PREFLIGHT: 'authenticate',
  ASSERTION_ISSUER: 'edge-auth',
  USERS_TABLE: 'users',
  USER_ID_TYPE: 'text',
  TOUCH_COLUMN: 'last_login',
  SESSION_MODE: 'jwt',
  DJANGO_SESSION_ENGINE: 'db',
  DJANGO_SESSION_COOKIE: 'sessionid',
  DJANGO_SESSION_TABLE: 'django_session',
  DJANGO_AUTHENTICATION_BACKENDS: 'django.contrib.auth.backends.ModelBackend',
} as const;

/**
 * How long a request waits for a concurrent load of the same session (or a
 * readiness probe) before doing it alone: one Redis and one database budget,
 * the longest a load that is on time can take.
 */
export const COALESCE_WAIT_MS = NUMBERS.REDIS_TIMEOUT_MS.default + NUMBERS.DATABASE_TIMEOUT_MS.default;

/** The Workers compatibility date of the Worker, its tests, benchmarks and examples. */
export const COMPATIBILITY_DATE = '2026-04-20';
