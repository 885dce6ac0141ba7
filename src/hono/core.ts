import type { Context, Env as HonoEnv } from 'hono';
import { COALESCE_WAIT_MS, NUMBERS } from '../config/defaults';
import { isExampleSecret } from '../config/example-secrets';
import { checkSecretStrength, type JsonWebKeyLike, type KeySource, parseAlgorithms } from '../config/keys';
import { secureUrl } from '../config/urls';
import { ConfigError } from '../errors';
import { type Authenticator, createAuthenticator } from '../session/authenticator';
import type { SessionCache, SessionStore } from '../session/types';
import { type CredentialReader, jwtCredential } from '../token/credential';
import { createTokenVerifier, type TokenSettings, type TokenVerifier } from '../token/verifier';
import { warn } from '../util/log';
import type { EdgeAuthOptions, Resolvable, TokenKeys } from './options';

/** What a request needs, built once per isolate (and per distinct store, cache and credential). */
export interface Core {
  /** The request's credential reader: edge-auth's JWT (read from `cookie` or a Bearer header) or the one given. */
  credential(cookie: string): CredentialReader;
  authenticator: Authenticator;
}

/** Where credentials come from: the JWT's keys, or a reader of another credential. */
type Source = { keys: TokenKeys } | { credential: CredentialReader };

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
  const { keys, credential, cache, store } = options;
  if ((keys === undefined) === (credential === undefined)) {
    throw new ConfigError(["give edgeAuth() either keys (edge-auth's JWT) or a credential reader, not both"]);
  }
  const source = (c: Context): Source =>
    keys === undefined
      ? { credential: resolve(credential as CredentialReader, c) }
      : { keys: resolve(keys, c) };
  if (
    typeof keys !== 'function' &&
    typeof credential !== 'function' &&
    typeof cache !== 'function' &&
    typeof store !== 'function'
  ) {
    const core = buildCore({ source: source({} as Context), cache, store }, settings);
    return () => core;
  }
  const cores = new WeakMap<SessionStore, WeakMap<SessionCache, Map<string, Core>>>();
  // Equal keys in a new object (`(c) => ({ secret: c.env.JWT_SECRET })`) still share one core.
  const ids = new WeakMap<object, string>();
  return (c) => {
    const parts = { source: source(c), cache: resolve(cache, c), store: resolve(store, c) };
    const perStore = memo(cores, parts.store, () => new WeakMap<SessionCache, Map<string, Core>>());
    const perCache = memo(perStore, parts.cache, () => new Map<string, Core>());
    const given = 'keys' in parts.source ? parts.source.keys : parts.source.credential;
    const id = memo(ids, given, () => sourceId(parts.source));
    return memo(perCache, id, () => buildCore(parts, settings));
  };
}

let readers = 0;
function sourceId(source: Source): string {
  // A reader object is its own identity (the WeakMap above holds its id).
  if ('credential' in source) return `reader:${++readers}`;
  const { keys } = source;
  if ('secret' in keys) return `secret:${keys.secret}`;
  if ('jwksUrl' in keys) return `url:${String(keys.jwksUrl)}`;
  return `jwks:${JSON.stringify(keys.jwks)}`;
}

/** A value, or what its function answers for this request. */
export function resolve<T>(value: Resolvable<T, HonoEnv>, c: Context): T {
  return typeof value === 'function' ? (value as (c: Context) => T)(c) : value;
}

function buildCore(
  parts: { source: Source; cache: SessionCache; store: SessionStore },
  settings: Settings,
): Core {
  const authenticator = createAuthenticator({
    cache: parts.cache,
    store: parts.store,
    cacheTtlSeconds: settings.session.cacheTtlSeconds,
    touchIntervalSeconds: settings.session.touchIntervalSeconds,
    l1: settings.session.l1,
    coalesceWaitMs: settings.coalesceWaitMs,
    log: settings.log,
    ...(settings.now ? { now: settings.now } : {}),
  });
  if ('credential' in parts.source) {
    const reader = parts.source.credential;
    return { credential: () => reader, authenticator };
  }
  const verifier = buildVerifier(parts.source.keys, settings);
  const readers = new Map<string, CredentialReader>();
  return {
    credential: (cookie) => memo(readers, cookie, () => jwtCredential(verifier, cookie)),
    authenticator,
  };
}

function buildVerifier(keys: TokenKeys, settings: Settings): TokenVerifier {
  const problems: string[] = [];
  const source = keySource(keys, problems);
  const algorithms = parseAlgorithms(settings.token.algorithms?.join(','), source, problems);
  checkSecretStrength(source, algorithms, problems, 'keys.secret');
  if (problems.length > 0 || !source) throw new ConfigError(problems);
  const { session, log, now } = settings;
  const l1Seconds = Math.min(session.l1.ttlSeconds, session.cacheTtlSeconds);
  // Verified tokens are remembered as long as sessions are in the L1: one signature check per burst.
  return createTokenVerifier(
    { ...settings.token, keys: source, algorithms },
    { rememberMs: l1Seconds * 1000, log, ...(now ? { now } : {}) },
  );
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
