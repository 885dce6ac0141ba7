/**
 * Every binding edge-auth reads. Values arrive as strings from `wrangler.toml`
 * `[vars]`, `.dev.vars` or `wrangler secret put`; `parseConfig` validates them.
 * `.dev.vars.example` lists each one.
 *
 * The tables of docs/configuration.md are generated from this interface
 * (`npm run docs`): a `// Title` line starts the section of that title, each
 * variable's comment is its meaning, and its default and range come from
 * src/config/defaults.ts, or from `@defaultValue` for a variable that has none
 * there. Links are written relative to this file.
 */
export interface Env {
  // Services
  /**
   * Upstash **REST** URL (`https:`; `http:` only on loopback), not the `redis://` one
   * @defaultValue required
   */
  UPSTASH_REDIS_REST_URL?: string;
  /** Upstash REST token (secret) @defaultValue required */
  UPSTASH_REDIS_REST_TOKEN?: string;
  /** keys are `<prefix>session:<sid>` and `<prefix>touch:<uid>`; used verbatim, may be empty, no whitespace */
  REDIS_KEY_PREFIX?: string;
  /** budget of one Redis round trip; past it, the database answers */
  REDIS_TIMEOUT_MS?: string;
  /**
   * `postgres://` URL of the Neon database (secret); must name a host and a database
   * @defaultValue required
   */
  DATABASE_URL?: string;
  /**
   * SQL-over-HTTP endpoint override (`https:`; `http:` only on loopback, e.g. the local stack)
   * @defaultValue Neon's
   */
  NEON_FETCH_ENDPOINT?: string;
  /** budget of one query; past it, `503` */
  DATABASE_TIMEOUT_MS?: string;
  /**
   * the users table, `table` or `schema.table` (plain identifiers, double-quoted, so
   * case-sensitive); `auth_user` for Django
   */
  USERS_TABLE?: string;
  /**
   * type of its `id` primary key: `text`, `integer` (Django) or `bigint`; compared as
   * `id = $1::<type>`; a `sub` that is not a valid id of that type is a `401`
   */
  USER_ID_TYPE?: string;
  /**
   * the timestamp the touch writes, e.g. `last_seen` (see the
   * [Django warning](../docs/django.md#warning-last_login-invalidates-password-reset-links))
   */
  TOUCH_COLUMN?: string;

  // Django sessions
  /**
   * `jwt`: edge-auth's session JWT; `django`: Django's own session cookie, verified as Django
   * does ([Django sessions at the edge](../docs/django.md)); the `JWT_*` key sources are then unused
   */
  SESSION_MODE?: string;
  /** Django's `SESSION_ENGINE`: `db` (also for `cached_db`) or `signed_cookies` */
  DJANGO_SESSION_ENGINE?: string;
  /** Django's `SESSION_COOKIE_NAME` */
  DJANGO_SESSION_COOKIE?: string;
  /** Django's `SESSION_COOKIE_AGE`: a signed cookie's `max_age` */
  DJANGO_SESSION_COOKIE_AGE?: string;
  /** Django's `AUTHENTICATION_BACKENDS` (comma list of dotted paths) */
  DJANGO_AUTHENTICATION_BACKENDS?: string;
  /** the sessions table of the `db` engine */
  DJANGO_SESSION_TABLE?: string;
  /**
   * keys derived from `SECRET_KEY` (and each fallback) for `db` session data, as `edge-auth
   * django-keys` prints them (secret); never `SECRET_KEY` itself
   * @defaultValue required for `db`
   */
  DJANGO_SESSION_KEYS?: string;
  /** the same for `signed_cookies` cookies (secret) @defaultValue required for `signed_cookies` */
  DJANGO_SIGNED_COOKIE_KEYS?: string;
  /** keys that check `_auth_user_hash` against `auth_user.password` (secret) @defaultValue required with `django` */
  DJANGO_AUTH_HASH_KEYS?: string;
  /**
   * at least 32 random bytes (base64url, secret): the key of the non-reversible session ids in
   * Redis keys, `X-Auth-Session-Id` and logs
   * @defaultValue required with `django`
   */
  DJANGO_SESSION_ID_KEY?: string;

  // Tokens
  /**
   * HMAC secret, at least 32/48/64 bytes for HS256/384/512 (RFC 7518 §3.2). Exactly one of the
   * three key sources. The example secrets shipped in this repository are refused
   * @defaultValue —
   */
  JWT_SECRET?: string;
  /** a JWK set as JSON text @defaultValue — */
  JWT_PUBLIC_JWKS?: string;
  /**
   * a remote JWK set (`https:`); cached per isolate for 10 min, unknown `kid`s refetch at most
   * every 30 s, concurrent cold fetches coalesced
   * @defaultValue —
   */
  JWT_JWKS_URL?: string;
  /**
   * comma-separated allowlist. Default: `HS256` with a secret; the asymmetric algorithms the keys
   * declare (by `alg`, else `kty`/`crv`) with `JWT_PUBLIC_JWKS`; every asymmetric one with
   * `JWT_JWKS_URL`. `none` and HMAC with public keys are always refused
   * @defaultValue see meaning
   */
  JWT_ALGORITHMS?: string;
  /** checked when set @defaultValue unchecked */
  JWT_ISSUER?: string;
  /** checked when set; may be a comma list @defaultValue unchecked */
  JWT_AUDIENCE?: string;
  /** leeway on `exp`/`nbf` */
  CLOCK_TOLERANCE_SECONDS?: string;
  /** cookie read when there is no `Authorization: Bearer`; must be a valid cookie name */
  SESSION_COOKIE?: string;

  // Session cache and the touch
  /**
   * shared (Redis) session and negative-entry TTL; `0` disables; never beyond the session's
   * remaining life
   */
  SESSION_CACHE_TTL_SECONDS?: string;
  /**
   * per-isolate cache TTL, capped by `SESSION_CACHE_TTL_SECONDS`; `0` disables; also the bound on
   * other isolates seeing a logout
   */
  L1_CACHE_TTL_SECONDS?: string;
  /**
   * per-isolate cache size; least recently used evicted first; expired entries are dropped as new
   * ones are written
   */
  L1_CACHE_MAX_ENTRIES?: string;
  /** `last_login` written at most once per user per interval */
  TOUCH_INTERVAL_SECONDS?: string;

  // Reverse proxy and trust boundary
  /**
   * origin to forward to (its path is prepended). Unset: forward-auth mode, every other path
   * answers `404`
   * @defaultValue unset
   */
  ORIGIN_URL?: string;
  /**
   * comma-separated; `/static` matches `/static` and `/static/…` (not `/static-admin`), a trailing
   * `*` makes a plain prefix (`/login*`); entries start with `/`, `*` only at the end. See
   * [Public paths](../docs/security.md#public-paths)
   * @defaultValue none
   */
  PUBLIC_PATHS?: string;
  /** `true` allows `PUBLIC_PATHS` that cover everything (`/`, `/*`); refused otherwise @defaultValue `false` */
  PUBLIC_PATHS_ALLOW_ALL?: string;
  /**
   * `pass`: a bodiless `OPTIONS` with `Origin` and `Access-Control-Request-Method` reaches the
   * origin unauthenticated, without identity or credentials. See
   * [CORS preflights](../docs/security.md#cors-preflights)
   */
  CORS_PREFLIGHT?: string;
  /**
   * comma list of client header names containing `_` that may reach the origin (all others are
   * dropped); names reserved to edge-auth are dropped even if listed
   * @defaultValue none
   */
  ALLOW_HEADERS_WITH_UNDERSCORES?: string;
  /**
   * `true` forwards edge-auth's session cookie and the `Authorization: Bearer` header to the
   * origin; by default they are removed
   * @defaultValue `false`
   */
  FORWARD_CREDENTIALS?: string;
  /**
   * comma list of origins (`https://app.example.com`) besides the request's own from which a
   * cookie-authenticated `POST /auth/logout` is accepted. See
   * [Logout](../docs/http-api.md#post-authlogout)
   * @defaultValue none
   */
  TRUSTED_ORIGINS?: string;

  // Signed assertion
  /**
   * EC P-256 private JWK (secret): sign `X-Auth-Assertion`, publish `/.well-known/jwks.json`. Its
   * public key must not be in `JWT_PUBLIC_JWKS`
   * @defaultValue unset
   */
  ASSERTION_SIGNING_KEY?: string;
  /** the assertion's `iss` */
  ASSERTION_ISSUER?: string;
  /**
   * the assertion's `aud` (scheme://host:port); required with a key when there is no `ORIGIN_URL`
   * @defaultValue `ORIGIN_URL`'s origin
   */
  ASSERTION_AUDIENCE?: string;
  /** the assertion's lifetime; also the replay bound after a logout */
  ASSERTION_TTL_SECONDS?: string;

  // Bindings (not variables: documented by hand in docs/configuration.md)
  /** Optional Workers Analytics Engine dataset: one data point per request. */
  ANALYTICS?: AnalyticsEngineDataset;
}
