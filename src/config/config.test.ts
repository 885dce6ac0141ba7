import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { baseEnv } from '../../test/support/memory-app';
import { ConfigError } from '../errors';
import { parseConfig } from '.';
import { EXAMPLE_SECRETS } from './example-secrets';

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
    expect(config.session).toEqual({
      cacheTtlSeconds: 10,
      touchIntervalSeconds: 300,
      l1: { ttlSeconds: 2, maxEntries: 10_000 },
    });
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
      'UPSTASH_REDIS_REST_URL must be an https URL',
      'UPSTASH_REDIS_REST_TOKEN is required',
      'DATABASE_URL must be a postgres or postgresql URL',
      'set only one of JWT_SECRET, JWT_PUBLIC_JWKS and JWT_JWKS_URL',
      'SESSION_COOKIE must be a valid cookie name',
      'CLOCK_TOLERANCE_SECONDS must be a whole number from 0 to 300',
      'SESSION_CACHE_TTL_SECONDS must be a whole number from 0 to 300',
      'TOUCH_INTERVAL_SECONDS must be a whole number from 1 to 2592000',
      'ORIGIN_URL must be a https or http URL',
      'PUBLIC_PATHS entries must start with "/" and may only end with "*"',
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
        JWT_SECRET: 'x'.repeat(64),
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

  it('refuses weak settings: short HMAC secrets, plain http outside loopback, in one message', () => {
    const problems = problemsOf(
      baseEnv({
        JWT_SECRET: 'x'.repeat(31),
        UPSTASH_REDIS_REST_URL: 'http://redis.example.com',
        NEON_FETCH_ENDPOINT: 'http://neon.example.com/sql',
      }),
    );
    expect(problems).toEqual([
      'UPSTASH_REDIS_REST_URL must use https (http is accepted only on loopback)',
      'NEON_FETCH_ENDPOINT must use https (http is accepted only on loopback)',
      'JWT_SECRET must be at least 32 bytes for HS256 (RFC 7518 §3.2)',
    ]);
    expect(problemsOf(baseEnv({ JWT_SECRET: 'x'.repeat(47), JWT_ALGORITHMS: 'HS384' }))).toEqual([
      'JWT_SECRET must be at least 48 bytes for HS384 (RFC 7518 §3.2)',
    ]);
    // Bytes, not characters: 16 two-byte characters are 32 bytes.
    expect(parseConfig(baseEnv({ JWT_SECRET: 'é'.repeat(16) })).token.algorithms).toEqual(['HS256']);
    expect(
      problemsOf(baseEnv({ JWT_SECRET: undefined, JWT_JWKS_URL: 'http://id.example.com/jwks' })),
    ).toEqual(['JWT_JWKS_URL must use https (http is accepted only on loopback)']);
    for (const host of ['127.0.0.1:8080', '127.9.9.9', 'localhost:3000', '[::1]:9']) {
      const config = parseConfig(
        baseEnv({
          UPSTASH_REDIS_REST_URL: `http://${host}`,
          NEON_FETCH_ENDPOINT: `http://${host}/sql`,
          JWT_SECRET: undefined,
          JWT_JWKS_URL: `http://${host}/jwks`,
        }),
      );
      expect(config.token.keys?.kind).toBe('remote');
    }
    expect(problemsOf(baseEnv({ UPSTASH_REDIS_REST_URL: 'http://127.0.0.1.evil.com' }))).toHaveLength(1);
  });

  it('derives the algorithm allowlist of a key set from its keys: never none, never HMAC', () => {
    const keys = [
      { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' },
      { kty: 'RSA', n: 'n', e: 'AQAB', alg: 'PS384' },
      { kty: 'OKP', crv: 'Ed25519', x: 'x' },
      { kty: 'oct', k: 'c2VjcmV0', alg: 'HS256' },
      { kty: 'RSA', n: 'n', e: 'AQAB', alg: 'RSA-OAEP', use: 'enc' },
    ];
    const config = parseConfig(baseEnv({ JWT_SECRET: undefined, JWT_PUBLIC_JWKS: JSON.stringify({ keys }) }));
    expect(config.token.algorithms).toEqual(['ES256', 'PS384', 'EdDSA', 'Ed25519']);
    const remote = parseConfig(baseEnv({ JWT_SECRET: undefined, JWT_JWKS_URL: 'https://id.example/jwks' }));
    expect(remote.token.algorithms).not.toContain('none');
    expect(remote.token.algorithms.some((a) => a.startsWith('HS'))).toBe(false);
    const onlySecret = JSON.stringify({ keys: [keys[3]] });
    expect(problemsOf(baseEnv({ JWT_SECRET: undefined, JWT_PUBLIC_JWKS: onlySecret }))).toEqual([
      'JWT_PUBLIC_JWKS holds no asymmetric signing key',
    ]);
  });
});

describe('parseConfig: what reaches the origin, and footguns', () => {
  it('parses the origin settings: underscore allowlist, credentials, trusted origins', () => {
    const config = parseConfig(
      baseEnv({
        ALLOW_HEADERS_WITH_UNDERSCORES: 'X_Custom_Trace, x_other',
        FORWARD_CREDENTIALS: 'true',
        TRUSTED_ORIGINS: 'https://app.example, http://localhost:3000/',
      }),
    );
    expect(config.origin).toMatchObject({
      headersWithUnderscores: ['x_custom_trace', 'x_other'],
      forwardCredentials: true,
      trustedOrigins: ['https://app.example', 'http://localhost:3000'],
    });
    expect(parseConfig(baseEnv()).origin).toMatchObject({
      headersWithUnderscores: [],
      forwardCredentials: false,
      trustedOrigins: [],
    });
    expect(
      problemsOf(
        baseEnv({
          ALLOW_HEADERS_WITH_UNDERSCORES: 'bad name',
          FORWARD_CREDENTIALS: 'yes',
          TRUSTED_ORIGINS: 'https://app.example/path',
        }),
      ),
    ).toEqual([
      'ALLOW_HEADERS_WITH_UNDERSCORES must be a comma list of header names',
      'TRUSTED_ORIGINS entries must be origins (scheme://host[:port]), without a path',
      'FORWARD_CREDENTIALS must be "true" or "false"',
    ]);
  });

  it('refuses public paths that cover everything unless PUBLIC_PATHS_ALLOW_ALL=true says so', () => {
    const message =
      'PUBLIC_PATHS must not cover every path ("/" or "/*" turns authentication off); set PUBLIC_PATHS_ALLOW_ALL=true if that is intended';
    for (const paths of ['/', '/*', '/static,/', '//', '//*']) {
      expect(problemsOf(baseEnv({ PUBLIC_PATHS: paths })), paths).toEqual([message]);
      const config = parseConfig(baseEnv({ PUBLIC_PATHS: paths, PUBLIC_PATHS_ALLOW_ALL: 'true' }));
      expect(config.origin.publicPaths.length, paths).toBeGreaterThan(0);
    }
    expect(problemsOf(baseEnv({ PUBLIC_PATHS: '*' }))).toEqual([
      'PUBLIC_PATHS entries must start with "/" and may only end with "*"',
    ]);
    expect(parseConfig(baseEnv({ PUBLIC_PATHS: '/static*' })).origin.publicPaths).toEqual(['/static*']);
  });

  it("refuses the repository's example secrets as JWT_SECRET", () => {
    for (const secret of EXAMPLE_SECRETS) {
      expect(problemsOf(baseEnv({ JWT_SECRET: ` ${secret}` }))).toEqual([
        "JWT_SECRET is an example secret published in edge-auth's repository: set a random one",
      ]);
    }
  });

  it('refuses an assertion key that is also a token verification key', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(privateKey);
    const publicJwk = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
    const env = baseEnv({
      JWT_SECRET: undefined,
      JWT_PUBLIC_JWKS: JSON.stringify({ keys: [publicJwk] }),
      ASSERTION_SIGNING_KEY: JSON.stringify(jwk),
    });
    expect(problemsOf(env)).toEqual([
      'ASSERTION_SIGNING_KEY must not be one of the JWT_PUBLIC_JWKS keys: use a key of its own',
    ]);
    const other = await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey);
    expect(parseConfig({ ...env, ASSERTION_SIGNING_KEY: JSON.stringify(other) }).assertion?.ttlSeconds).toBe(
      30,
    );
    expect(
      problemsOf({ ...env, ASSERTION_SIGNING_KEY: JSON.stringify(other), ASSERTION_TTL_SECONDS: '301' }),
    ).toEqual(['ASSERTION_TTL_SECONDS must be a whole number from 5 to 300']);
  });
});
