import { describe, expect, it } from 'vitest';
import { baseEnv } from '../test/support/memory-app';
import { parseConfig } from './config';
import { ConfigError } from './http/errors';

function problemsOf(env: Parameters<typeof parseConfig>[0]): string[] {
  try {
    parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    const config = parseConfig(baseEnv({ ORIGIN_URL: undefined }));
    expect(config.session).toEqual({ cacheTtlSeconds: 10, touchIntervalSeconds: 300 });
    expect(config.redis.keyPrefix).toBe('edge-auth:');
    expect(config.token.cookieName).toBe('session');
    expect(config.token.clockToleranceSeconds).toBe(5);
    expect(config.token.algorithms).toEqual(['HS256']);
    expect(config.origin.url).toBeUndefined();
    expect(config.origin.publicPaths).toEqual([]);
  });

  it('reports every problem at once, naming variables and never their values', () => {
    const secretish = 'postgres://user:hunter2@db/x?sslmode=require ';
    const problems = problemsOf({
      UPSTASH_REDIS_REST_URL: 'not a url hunter2',
      DATABASE_URL: 'mysql://user:hunter2@db/x',
      JWT_SECRET: 's',
      JWT_JWKS_URL: 'https://issuer/jwks',
      SESSION_CACHE_TTL_SECONDS: '301',
      TOUCH_INTERVAL_SECONDS: '-1',
      CLOCK_TOLERANCE_SECONDS: 'five',
      ORIGIN_URL: secretish,
      PUBLIC_PATHS: 'static/*',
      SESSION_COOKIE: 'bad cookie',
    });
    expect(problems).toEqual([
      'UPSTASH_REDIS_REST_URL must be a https or http URL',
      'UPSTASH_REDIS_REST_TOKEN is required',
      'DATABASE_URL must be a postgres or postgresql URL',
      'set only one of JWT_SECRET, JWT_PUBLIC_JWKS and JWT_JWKS_URL',
      'SESSION_COOKIE must be a valid cookie name',
      'ORIGIN_URL must be a https or http URL',
      'PUBLIC_PATHS entries must start with "/" and may only end with "*"',
      'CLOCK_TOLERANCE_SECONDS must be a whole number from 0 to 300',
      'SESSION_CACHE_TTL_SECONDS must be a whole number from 0 to 300',
      'TOUCH_INTERVAL_SECONDS must be a whole number from 1 to 2592000',
    ]);
    expect(problems.join(' ')).not.toContain('hunter2');
  });

  it('requires a key source and refuses algorithms that do not fit it', () => {
    expect(problemsOf(baseEnv({ JWT_SECRET: undefined }))).toEqual([
      'one of JWT_SECRET, JWT_PUBLIC_JWKS or JWT_JWKS_URL is required',
    ]);
    expect(problemsOf(baseEnv({ JWT_ALGORITHMS: 'HS256,RS256,none' }))[0]).toMatch(
      /^JWT_ALGORITHMS may only list HMAC/,
    );
    expect(problemsOf(baseEnv({ JWT_SECRET: undefined, JWT_PUBLIC_JWKS: '{"keys":[]}' }))).toEqual([
      'JWT_PUBLIC_JWKS must hold a non-empty "keys" array of JWKs',
    ]);
    expect(problemsOf(baseEnv({ JWT_SECRET: undefined, JWT_PUBLIC_JWKS: '{nope' }))).toEqual([
      'JWT_PUBLIC_JWKS must be JSON (a JWK set)',
    ]);
  });

  it('accepts numbers, booleans and objects as wrangler passes unquoted [vars]', () => {
    const jwks = { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] };
    const env = {
      ...baseEnv({ JWT_SECRET: undefined }),
      SESSION_CACHE_TTL_SECONDS: 0,
      JWT_PUBLIC_JWKS: jwks,
    };
    const config = parseConfig(env as unknown as Parameters<typeof parseConfig>[0]);
    expect(config.session.cacheTtlSeconds).toBe(0);
    expect(config.token.keys).toEqual({ kind: 'jwks', jwks });
  });

  it('accepts 0 to disable the session cache and parses lists', () => {
    const config = parseConfig(
      baseEnv({
        SESSION_CACHE_TTL_SECONDS: '0',
        JWT_ALGORITHMS: 'HS256, HS512',
        JWT_AUDIENCE: 'web, mobile',
        JWT_ISSUER: 'https://issuer.example',
        PUBLIC_PATHS: '/healthz, /static/*',
      }),
    );
    expect(config.session.cacheTtlSeconds).toBe(0);
    expect(config.token.algorithms).toEqual(['HS256', 'HS512']);
    expect(config.token.audience).toEqual(['web', 'mobile']);
    expect(config.origin.publicPaths).toEqual(['/healthz', '/static/*']);
  });
});
