import type { Env } from '../env';
import { ConfigError } from '../errors';
import { type AssertionKey, parseAssertionKey } from './assertion';
import { parseUsersTable, type UsersTableConfig } from './database';
import { NUMBERS, TEXTS } from './defaults';
import { type DjangoConfig, parseDjango } from './django';
import { isExampleSecret } from './example-secrets';
import { checkSecretStrength, type KeySource, parseAlgorithms, parseKeySource } from './keys';
import { type OriginConfig, parseOrigin } from './origin';
import { createReader, type Reader } from './reader';
import { isLoopback, secureUrl } from './urls';

export type { JsonWebKeyLike, KeySource } from './keys';

export interface Config {
  redis: { url: string; token: string; keyPrefix: string; timeoutMs: number };
  database: {
    url: string;
    fetchEndpoint: string | undefined;
    timeoutMs: number;
    /** The users table edge-auth reads and touches (`USERS_TABLE`, `USER_ID_TYPE`, `TOUCH_COLUMN`). */
    users: UsersTableConfig;
  };
  token: {
    /** The JWT's keys; `undefined` in Django session mode. */
    keys: KeySource | undefined;
    /** `undefined` means "the keys' own algorithms" (JWKS sources only). */
    algorithms: string[];
    issuer: string | undefined;
    audience: string[] | undefined;
    clockToleranceSeconds: number;
    cookieName: string;
  };
  session: {
    cacheTtlSeconds: number;
    touchIntervalSeconds: number;
    /** Per-isolate cache; its TTL never exceeds `cacheTtlSeconds`. */
    l1: { ttlSeconds: number; maxEntries: number };
  };
  origin: OriginConfig;
  /** Signed identity assertions for the origin; `undefined` when not configured. */
  assertion: AssertionKey | undefined;
  /** Django session mode (`SESSION_MODE=django`); `undefined` for edge-auth's JWT. */
  django: DjangoConfig | undefined;
}

export const SESSION_CACHE_TTL_MAX_SECONDS = NUMBERS.SESSION_CACHE_TTL_SECONDS.max;
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Turns the Worker's bindings into a validated `Config`, applying the
 * documented defaults (src/config/defaults.ts). Every problem is collected and
 * reported in one `ConfigError` that names variables, never their values.
 * With `adapters: true` (the app was given its own cache and store) the
 * Upstash and database settings are optional.
 *
 * @example
 * const config = parseConfig(env); // throws ConfigError listing all problems
 */
export function parseConfig(env: Env, options: { adapters?: boolean } = {}): Config {
  const r = createReader(env);
  const django = parseDjango(r);
  const redis = parseRedis(r, options.adapters === true);
  const database = parseDatabase(r, options.adapters === true, django !== undefined);
  const token = parseToken(r, django === undefined);
  const session = {
    cacheTtlSeconds: r.number('SESSION_CACHE_TTL_SECONDS'),
    touchIntervalSeconds: r.number('TOUCH_INTERVAL_SECONDS'),
    l1: { ttlSeconds: r.number('L1_CACHE_TTL_SECONDS'), maxEntries: r.number('L1_CACHE_MAX_ENTRIES') },
  };
  const origin = parseOrigin(r);
  const assertion = parseAssertionKey(r, origin.url, token.keys);
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return { redis, database, token, session, origin, assertion, django };
}

function parseRedis(r: Reader, optional: boolean): Config['redis'] {
  const url = optional ? (r.read('UPSTASH_REDIS_REST_URL') ?? '') : r.required('UPSTASH_REDIS_REST_URL');
  secureUrl('UPSTASH_REDIS_REST_URL', url, r.problems);
  const token = optional
    ? (r.read('UPSTASH_REDIS_REST_TOKEN') ?? '')
    : r.required('UPSTASH_REDIS_REST_TOKEN');
  // Not trimmed: the prefix is used verbatim, and an empty one is allowed.
  const keyPrefix = r.raw('REDIS_KEY_PREFIX') ?? TEXTS.REDIS_KEY_PREFIX;
  if (keyPrefix === null || /\s/.test(keyPrefix))
    r.problems.push('REDIS_KEY_PREFIX must not contain whitespace');
  return {
    url,
    token,
    keyPrefix: keyPrefix ?? TEXTS.REDIS_KEY_PREFIX,
    timeoutMs: r.number('REDIS_TIMEOUT_MS'),
  };
}

/**
 * Neon's driver sends queries to `api.<host without its first label>`: only a
 * Neon host has that endpoint. Anything else (a local PostgreSQL, a loopback
 * URL) needs `NEON_FETCH_ENDPOINT`, or every request would answer 503.
 */
const NEON_HOST = /\.neon\.(tech|build)$/i;

/** Django's `auth_user`: the users table's defaults in Django session mode. */
const DJANGO_USERS: Partial<Record<keyof Env, string>> = {
  USERS_TABLE: 'auth_user',
  USER_ID_TYPE: 'integer',
};

function parseDatabase(r: Reader, optional: boolean, django: boolean): Config['database'] {
  const url = optional ? (r.read('DATABASE_URL') ?? '') : r.required('DATABASE_URL');
  const parsed = r.url('DATABASE_URL', url, ['postgres:', 'postgresql:']);
  if (parsed && (!parsed.hostname || parsed.pathname.length <= 1)) {
    r.problems.push('DATABASE_URL must name a host and a database');
  }
  const fetchEndpoint = r.read('NEON_FETCH_ENDPOINT');
  secureUrl('NEON_FETCH_ENDPOINT', fetchEndpoint, r.problems);
  if (!optional && parsed?.hostname && fetchEndpoint === undefined && !NEON_HOST.test(parsed.hostname)) {
    r.problems.push(
      isLoopback(parsed.hostname)
        ? 'NEON_FETCH_ENDPOINT is required with a loopback DATABASE_URL (the local SQL-over-HTTP server: npx edge-auth local prints it)'
        : 'NEON_FETCH_ENDPOINT is required when DATABASE_URL is not a Neon host (*.neon.tech): the SQL-over-HTTP endpoint in front of it',
    );
  }
  return {
    url,
    fetchEndpoint,
    timeoutMs: r.number('DATABASE_TIMEOUT_MS'),
    users: parseUsersTable((name) => r.read(name) ?? (django ? DJANGO_USERS[name] : undefined), r.problems),
  };
}

function parseToken(r: Reader, jwt: boolean): Config['token'] {
  const keys = jwt ? parseKeySource(r) : undefined;
  const algorithms = parseAlgorithms(r.read('JWT_ALGORITHMS'), keys, r.problems);
  checkSecretStrength(keys, algorithms, r.problems);
  if (keys?.kind === 'secret' && isExampleSecret(keys.secret)) {
    r.problems.push("JWT_SECRET is an example secret published in edge-auth's repository: set a random one");
  }
  const audience = r.list('JWT_AUDIENCE');
  const cookieName = r.read('SESSION_COOKIE') ?? TEXTS.SESSION_COOKIE;
  if (!COOKIE_NAME.test(cookieName)) r.problems.push('SESSION_COOKIE must be a valid cookie name');
  return {
    keys,
    algorithms,
    issuer: r.read('JWT_ISSUER'),
    audience: audience.length > 0 ? audience : undefined,
    clockToleranceSeconds: r.number('CLOCK_TOLERANCE_SECONDS'),
    cookieName,
  };
}
