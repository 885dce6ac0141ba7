import type { Context, Env as HonoEnv } from 'hono';
import { COALESCE_WAIT_MS, NUMBERS } from '../config/defaults';
import { isExampleSecret } from '../config/example-secrets';
import { checkSecretStrength, type JsonWebKeyLike, type KeySource, parseAlgorithms } from '../config/keys';
import { secureUrl } from '../config/urls';
import { ConfigError } from '../errors';
import { type Authenticator, createAuthenticator } from '../session/authenticator';
import type { SessionCache, SessionStore } from '../session/types';
import { createTokenVerifier, type TokenSettings, type TokenVerifier } from '../token/verifier';
import { warn } from '../util/log';
import type { EdgeAuthOptions, Resolvable, TokenKeys } from './options';

/** What a request needs, built once per isolate (and per distinct store, cache and keys). */
export interface Core {
  verifier: TokenVerifier;
  authenticator: Authenticator;
}

/** The options that are plain values, validated once. */
interface Settings {
  token: Omit<TokenSettings, 'keys' | 'algorithms'> & { algorithms: string[] | undefined };
  session: {
    cacheTtlSeconds: number;
    touchIntervalSeconds: number;
    l1: { ttlSeconds: number; maxEntries: number };
  };
  coalesceWaitMs: number;
  log: (message: string) => void;
  now: (() => number) | undefined;
}

const resolvers = new WeakMap<EdgeAuthOptions<HonoEnv>, (c: Context) => Core>();

/**
 * The core resolver of an options object, one per object: a middleware and
 * the Worker's own routes (logout, readiness) given the same options share
 * one core, so a logout is seen by the L1 and revocation record requests use.
 */
export function coreOf<E extends HonoEnv>(options: EdgeAuthOptions<E>): (c: Context) => Core {
  const key = options as unknown as EdgeAuthOptions<HonoEnv>;
  return memo(resolvers, key, () => coreResolver(key));
}

/** The value under `key`, made and stored on first use. */
function memo<K, V>(
  map: { get(key: K): V | undefined; set(key: K, value: V): unknown },
  key: K,
  make: () => V,
): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

/**
 * Returns the core for a request: built at once when `keys`, `cache` and
 * `store` are values (so a bad option fails when the middleware is built),
 * else on first use per distinct resolved triple.
 */
function coreResolver(options: EdgeAuthOptions<HonoEnv>): (c: Context) => Core {
  const settings = validateSettings(options);
  const { keys, cache, store } = options;
  if (typeof keys !== 'function' && typeof cache !== 'function' && typeof store !== 'function') {
    const core = buildCore({ keys, cache, store }, settings);
    return () => core;
  }
  const cores = new WeakMap<SessionStore, WeakMap<SessionCache, Map<string, Core>>>();
  // Equal keys in a new object (`(c) => ({ secret: c.env.JWT_SECRET })`) still share one core.
  const ids = new WeakMap<TokenKeys, string>();
  return (c) => {
    const parts = { keys: resolve(keys, c), cache: resolve(cache, c), store: resolve(store, c) };
    const perStore = memo(cores, parts.store, () => new WeakMap<SessionCache, Map<string, Core>>());
    const perCache = memo(perStore, parts.cache, () => new Map<string, Core>());
    const id = memo(ids, parts.keys, () => keysId(parts.keys));
    return memo(perCache, id, () => buildCore(parts, settings));
  };
}

/** A value, or what its function answers for this request. */
export function resolve<T>(value: Resolvable<T, HonoEnv>, c: Context): T {
  return typeof value === 'function' ? (value as (c: Context) => T)(c) : value;
}

function keysId(keys: TokenKeys): string {
  if ('secret' in keys) return `secret:${keys.secret}`;
  if ('jwksUrl' in keys) return `url:${String(keys.jwksUrl)}`;
  return `jwks:${JSON.stringify(keys.jwks)}`;
}

function buildCore(
  parts: { keys: TokenKeys; cache: SessionCache; store: SessionStore },
  settings: Settings,
): Core {
  const problems: string[] = [];
  const source = keySource(parts.keys, problems);
  const algorithms = parseAlgorithms(settings.token.algorithms?.join(','), source, problems);
  checkSecretStrength(source, algorithms, problems, 'keys.secret');
  if (problems.length > 0 || !source) throw new ConfigError(problems);
  const { session, log, now } = settings;
  const l1Seconds = Math.min(session.l1.ttlSeconds, session.cacheTtlSeconds);
  return {
    // Verified tokens are remembered as long as sessions are in the L1: one signature check per burst.
    verifier: createTokenVerifier(
      { ...settings.token, keys: source, algorithms },
      { rememberMs: l1Seconds * 1000, log, ...(now ? { now } : {}) },
    ),
    authenticator: createAuthenticator({
      cache: parts.cache,
      store: parts.store,
      cacheTtlSeconds: session.cacheTtlSeconds,
      touchIntervalSeconds: session.touchIntervalSeconds,
      l1: session.l1,
      coalesceWaitMs: settings.coalesceWaitMs,
      log,
      ...(now ? { now } : {}),
    }),
  };
}

function keySource(keys: TokenKeys, problems: string[]): KeySource | undefined {
  if ('secret' in keys) {
    if (isExampleSecret(keys.secret))
      problems.push("keys.secret is an example secret published in edge-auth's repository");
    return { kind: 'secret', secret: keys.secret };
  }
  if ('jwksUrl' in keys) {
    const url = secureUrl('keys.jwksUrl', String(keys.jwksUrl), problems);
    return url && { kind: 'remote', url };
  }
  const jwks = keys.jwks?.keys;
  if (!Array.isArray(jwks) || jwks.length === 0 || jwks.some((k) => typeof k?.kty !== 'string')) {
    problems.push('keys.jwks must hold a non-empty "keys" array of JWKs');
    return undefined;
  }
  return { kind: 'jwks', jwks: { keys: jwks as JsonWebKeyLike[] } };
}

function validateSettings(options: EdgeAuthOptions<HonoEnv>): Settings {
  const problems: string[] = [];
  const number = (name: keyof typeof NUMBERS, label: string, value: number | undefined) => {
    const { default: fallback, min, max } = NUMBERS[name];
    if (value === undefined) return fallback;
    if (Number.isInteger(value) && value >= min && value <= max) return value;
    problems.push(`${label} must be a whole number from ${min} to ${max}`);
    return fallback;
  };
  const { token = {}, session = {} } = options;
  const l1 = session.l1 === false ? { ttlSeconds: 0 } : (session.l1 ?? {});
  const settings: Settings = {
    token: {
      algorithms: token.algorithms,
      issuer: token.issuer,
      audience: token.audience === undefined ? undefined : [token.audience].flat(),
      clockToleranceSeconds: number(
        'CLOCK_TOLERANCE_SECONDS',
        'token.clockToleranceSeconds',
        token.clockToleranceSeconds,
      ),
    },
    session: {
      cacheTtlSeconds: number(
        'SESSION_CACHE_TTL_SECONDS',
        'session.cacheTtlSeconds',
        session.cacheTtlSeconds,
      ),
      touchIntervalSeconds: number(
        'TOUCH_INTERVAL_SECONDS',
        'session.touchIntervalSeconds',
        session.touchIntervalSeconds,
      ),
      l1: {
        ttlSeconds: number('L1_CACHE_TTL_SECONDS', 'session.l1.ttlSeconds', l1.ttlSeconds),
        maxEntries: number(
          'L1_CACHE_MAX_ENTRIES',
          'session.l1.maxEntries',
          'maxEntries' in l1 ? l1.maxEntries : undefined,
        ),
      },
    },
    coalesceWaitMs: session.coalesceWaitMs ?? COALESCE_WAIT_MS,
    log: options.log ?? warn,
    now: options.now,
  };
  if (!Number.isInteger(settings.coalesceWaitMs) || settings.coalesceWaitMs < 0)
    problems.push('session.coalesceWaitMs must be a whole number of milliseconds');
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}
