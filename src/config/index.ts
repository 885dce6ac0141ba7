import type { Env } from '../env';
import { ConfigError } from '../errors';

import { type AssertionKey, parseAssertionKey } from './assertion';
import { parseUsersTable, type UsersTableConfig } from './database';
import { isExampleSecret } from './example-secrets';
import { checkSecretStrength, type KeySource, parseAlgorithms, parseKeySource } from './keys';
import { type OriginConfig, parseOrigin } from './origin';
import { secureUrl } from './urls';

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
    keys: KeySource;
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
}

export const SESSION_CACHE_TTL_MAX_SECONDS = 300;
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Turns the Worker's bindings into a validated `Config`, applying the
 * documented defaults. Every problem is collected and reported in one
 * `ConfigError` that names variables, never their values.
 *
 * @example
 * const config = parseConfig(env); // throws ConfigError listing all problems
 */
export function parseConfig(env: Env): Config {
  const problems: string[] = [];
  const read = (name: keyof Env): string | undefined => {
    const value = textOf((env as Record<string, unknown>)[name]);
    if (value === null) {
      problems.push(`${name} must be text`);
      return undefined;
    }
    const trimmed = value?.trim();
    return trimmed === '' ? undefined : trimmed;
  };
  const required = (name: keyof Env): string => {
    const value = read(name);
    if (value === undefined) problems.push(`${name} is required`);
    return value ?? '';
  };
  const integer = (name: keyof Env, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return Number(raw);
  };
  const url = (name: keyof Env, value: string | undefined, protocols: string[]): URL | undefined => {
    if (value === undefined || value === '') return undefined;
    try {
      const parsed = new URL(value);
      if (protocols.includes(parsed.protocol)) return parsed;
    } catch {
      // reported below, without echoing the value
    }
    problems.push(`${name} must be a ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL`);
    return undefined;
  };

  const redisUrl = required('UPSTASH_REDIS_REST_URL');
  secureUrl('UPSTASH_REDIS_REST_URL', redisUrl, problems);
  const redisToken = required('UPSTASH_REDIS_REST_TOKEN');
  const databaseUrl = required('DATABASE_URL');
  const parsedDb = url('DATABASE_URL', databaseUrl, ['postgres:', 'postgresql:']);
  if (parsedDb && (!parsedDb.hostname || parsedDb.pathname.length <= 1)) {
    problems.push('DATABASE_URL must name a host and a database');
  }
  const fetchEndpoint = read('NEON_FETCH_ENDPOINT');
  secureUrl('NEON_FETCH_ENDPOINT', fetchEndpoint, problems);
  const users = parseUsersTable(read, problems);

  const keys = parseKeySource(read, problems);
  const algorithms = parseAlgorithms(read('JWT_ALGORITHMS'), keys, problems);
  checkSecretStrength(keys, algorithms, problems);
  if (keys?.kind === 'secret' && isExampleSecret(keys.secret)) {
    problems.push("JWT_SECRET is an example secret published in edge-auth's repository: set a random one");
  }
  const audience = read('JWT_AUDIENCE')
    ?.split(',')
    .map((a) => a.trim())
    .filter(Boolean);

  const cookieName = read('SESSION_COOKIE') ?? 'session';
  if (!COOKIE_NAME.test(cookieName)) problems.push('SESSION_COOKIE must be a valid cookie name');

  // Not trimmed: the prefix is used verbatim, and an empty one is allowed.
  const keyPrefix = textOf(env.REDIS_KEY_PREFIX) ?? 'edge-auth:';
  if (keyPrefix === null || /\s/.test(keyPrefix))
    problems.push('REDIS_KEY_PREFIX must not contain whitespace');

  const origin = parseOrigin(read, url, problems);
  const assertion = parseAssertionKey(read, integer, origin.url, keys, problems);

  const config: Config = {
    redis: {
      url: redisUrl,
      token: redisToken,
      keyPrefix: keyPrefix ?? 'edge-auth:',
      timeoutMs: integer('REDIS_TIMEOUT_MS', 1000, 50, 30_000),
    },
    database: {
      url: databaseUrl,
      fetchEndpoint,
      timeoutMs: integer('DATABASE_TIMEOUT_MS', 3000, 50, 60_000),
      users,
    },
    token: {
      keys: keys ?? { kind: 'secret', secret: '' },
      algorithms,
      issuer: read('JWT_ISSUER'),
      audience: audience && audience.length > 0 ? audience : undefined,
      clockToleranceSeconds: integer('CLOCK_TOLERANCE_SECONDS', 5, 0, 300),
      cookieName,
    },
    session: {
      cacheTtlSeconds: integer('SESSION_CACHE_TTL_SECONDS', 10, 0, SESSION_CACHE_TTL_MAX_SECONDS),
      touchIntervalSeconds: integer('TOUCH_INTERVAL_SECONDS', 300, 1, 30 * 24 * 3600),
      l1: {
        ttlSeconds: integer('L1_CACHE_TTL_SECONDS', 2, 0, SESSION_CACHE_TTL_MAX_SECONDS),
        maxEntries: integer('L1_CACHE_MAX_ENTRIES', 10_000, 1, 1_000_000),
      },
    },
    origin,
    assertion,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * A binding as text. wrangler passes unquoted TOML values as numbers or
 * booleans and tables as objects (a JWKS, say); all are accepted. `null`
 * means "not representable as text".
 */
function textOf(value: unknown): string | undefined | null {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return null;
}
