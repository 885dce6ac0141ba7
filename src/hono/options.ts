import type { Context, Env as HonoEnv } from 'hono';
import type { JSONWebKeySet } from 'jose';
import type { SessionCache, SessionStore } from '../session/types';
import type { CredentialReader } from '../token/credential';

/**
 * The environment a middleware sees by default, as Hono's own (`Context` is
 * `Context<any>`): `c.env` is the app's bindings, unchecked. TypeScript cannot
 * infer an app's environment through `app.use()`; to type it, write
 * `edgeAuth<{ Bindings: MyBindings }>(…)`.
 */
// biome-ignore lint/suspicious/noExplicitAny: Hono's middlewares default their Env to any, so `c.env.X` works unannotated
export type AppEnv = any;

/** A value, or a function of the request's context that returns it (as Hono's `jwk()` takes). */
export type Resolvable<T, E extends HonoEnv = AppEnv> = T | ((c: Context<E>) => T);

/** Where session tokens' signing keys come from: exactly one of the three. */
export type TokenKeys =
  | { /** HMAC secret, at least as long as the hash (32 bytes for HS256). */ secret: string }
  | { /** Public keys, as a JWK set. */ jwks: JSONWebKeySet }
  | { /** An https URL (http on loopback) of the issuer's JWK set. */ jwksUrl: string | URL };

/**
 * Options of `edgeAuth()`. `keys`, `cache`, `store` and `cookie` are values
 * or `(c) => value`; a function should return the same objects for the same
 * isolate (the session core, with its per-isolate cache, is built once per
 * distinct `store`, `cache` and `keys`). Everything else is validated once,
 * when the middleware is built.
 */
export interface EdgeAuthOptions<E extends HonoEnv = AppEnv> {
  /** The session tokens' keys (edge-auth's JWT). Give `keys` or `credential`, not both. */
  keys?: Resolvable<TokenKeys, E>;
  /**
   * Another credential than edge-auth's JWT, e.g. Django's own session
   * (`djangoSessions()` from `edge-auth/django`, with its `store`).
   */
  credential?: Resolvable<CredentialReader, E>;
  /** The shared session cache, e.g. `createUpstashSessionCache({ redis, prefix })` from `edge-auth/upstash`. */
  cache: Resolvable<SessionCache, E>;
  /** The source of truth, e.g. `createNeonSessionStore({ sql, timeoutMs })` from `edge-auth/neon`. */
  store: Resolvable<SessionStore, E>;
  /** Cookie that carries the JWT when no `Authorization: Bearer` is sent. Default `session`. */
  cookie?: Resolvable<string, E>;
  token?: {
    /** Allowed `alg`s. Default: `HS256` for a secret, the keys' own asymmetric algorithms for key sets. */
    algorithms?: string[];
    /** Required `iss`. Default: not checked. */
    issuer?: string;
    /** Accepted `aud`s. Default: not checked. */
    audience?: string | string[];
    /** Leeway for `exp`/`nbf`, seconds. Default 5, at most 300. */
    clockToleranceSeconds?: number;
  };
  session?: {
    /** Shared cache TTL, seconds (0 disables the session cache). Default 10, at most 300. */
    cacheTtlSeconds?: number;
    /** At most one `last_login` write per user per this many seconds. Default 300. */
    touchIntervalSeconds?: number;
    /** Per-isolate cache (never longer than `cacheTtlSeconds`), or `false`. Default 2 s, 10,000 entries. */
    l1?: { ttlSeconds?: number; maxEntries?: number } | false;
    /** How long a request waits for a concurrent load of the same session, ms. Default 4,000. */
    coalesceWaitMs?: number;
  };
  /** Send this middleware's stages (`token`, `cache`, `db`) in `Server-Timing`. Default true. */
  timing?: boolean;
  /** Where warnings go (one JSON line each by default, on stderr). */
  log?: (message: string) => void;
  /** Clock in ms since the epoch, for the isolate's caches. Default `Date.now`. */
  now?: () => number;
}
