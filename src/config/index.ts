import type { Env } from './env';
import { ConfigError } from './http/errors';

export type KeySource =
  | { kind: 'secret'; secret: string }
  | { kind: 'jwks'; jwks: { keys: JsonWebKeyLike[] } }
  | { kind: 'remote'; url: URL };

/** The subset of a JWK that validation needs; jose checks the rest. */
export interface JsonWebKeyLike {
  kty: string;
  alg?: string;
  kid?: string;
}

export interface Config {
  redis: { url: string; token: string; keyPrefix: string; timeoutMs: number };
  database: { url: string; fetchEndpoint: string | undefined; timeoutMs: number };
  token: {
    keys: KeySource;
    /** `undefined` means "the keys' own algorithms" (JWKS sources only). */
    algorithms: string[] | undefined;
    issuer: string | undefined;
    audience: string[] | undefined;
    clockToleranceSeconds: number;
    cookieName: string;
  };
  session: { cacheTtlSeconds: number; touchIntervalSeconds: number };
  origin: { url: URL | undefined; publicPaths: string[] };
}

export const SESSION_CACHE_TTL_MAX_SECONDS = 300;
const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'];
const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];
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
  url('UPSTASH_REDIS_REST_URL', redisUrl, ['https:', 'http:']);
  const redisToken = required('UPSTASH_REDIS_REST_TOKEN');
  const databaseUrl = required('DATABASE_URL');
  const parsedDb = url('DATABASE_URL', databaseUrl, ['postgres:', 'postgresql:']);
  if (parsedDb && (!parsedDb.hostname || parsedDb.pathname.length <= 1)) {
    problems.push('DATABASE_URL must name a host and a database');
  }
  const fetchEndpoint = read('NEON_FETCH_ENDPOINT');
  url('NEON_FETCH_ENDPOINT', fetchEndpoint, ['https:', 'http:']);

  const keys = parseKeySource(read, problems);
  const algorithms = parseAlgorithms(read('JWT_ALGORITHMS'), keys, problems);
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

  const originUrl = url('ORIGIN_URL', read('ORIGIN_URL'), ['https:', 'http:']);
  const publicPaths = parsePublicPaths(read('PUBLIC_PATHS'), problems);

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
    },
    origin: { url: originUrl, publicPaths },
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

function parseKeySource(
  read: (name: keyof Env) => string | undefined,
  problems: string[],
): KeySource | undefined {
  const secret = read('JWT_SECRET');
  const jwksText = read('JWT_PUBLIC_JWKS');
  const jwksUrl = read('JWT_JWKS_URL');
  const given = [secret, jwksText, jwksUrl].filter((v) => v !== undefined).length;
  if (given !== 1) {
    problems.push(
      given === 0
        ? 'one of JWT_SECRET, JWT_PUBLIC_JWKS or JWT_JWKS_URL is required'
        : 'set only one of JWT_SECRET, JWT_PUBLIC_JWKS and JWT_JWKS_URL',
    );
    return undefined;
  }
  if (secret !== undefined) return { kind: 'secret', secret };
  if (jwksUrl !== undefined) {
    try {
      const parsed = new URL(jwksUrl);
      if (parsed.protocol === 'https:' || parsed.protocol === 'http:') return { kind: 'remote', url: parsed };
    } catch {
      // reported below
    }
    problems.push('JWT_JWKS_URL must be an https or http URL');
    return undefined;
  }
  try {
    const jwks = JSON.parse(jwksText ?? '') as { keys?: unknown };
    const keys = Array.isArray(jwks.keys) ? (jwks.keys as JsonWebKeyLike[]) : [];
    const wellFormed = keys.length > 0 && keys.every((k) => k && typeof k.kty === 'string');
    if (wellFormed) return { kind: 'jwks', jwks: { keys } };
    problems.push('JWT_PUBLIC_JWKS must hold a non-empty "keys" array of JWKs');
  } catch {
    problems.push('JWT_PUBLIC_JWKS must be JSON (a JWK set)');
  }
  return undefined;
}

function parseAlgorithms(
  raw: string | undefined,
  keys: KeySource | undefined,
  problems: string[],
): string[] | undefined {
  const list = raw
    ?.split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (list === undefined || list.length === 0) return keys?.kind === 'secret' ? ['HS256'] : undefined;
  const allowed = keys?.kind === 'secret' ? HMAC_ALGORITHMS : ASYMMETRIC_ALGORITHMS;
  const unknown = list.filter((a) => !allowed.includes(a));
  if (unknown.length > 0) {
    problems.push(
      `JWT_ALGORITHMS may only list ${keys?.kind === 'secret' ? 'HMAC' : 'asymmetric'} algorithms (${allowed.join(', ')})`,
    );
  }
  return list;
}

function parsePublicPaths(raw: string | undefined, problems: string[]): string[] {
  const paths = (raw ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  for (const path of paths) {
    if (!path.startsWith('/') || path.slice(0, -1).includes('*')) {
      problems.push('PUBLIC_PATHS entries must start with "/" and may only end with "*"');
      break;
    }
  }
  return paths;
}
