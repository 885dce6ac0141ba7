import fc from 'fast-check';
import type { Env } from '../../../src/env';

/**
 * The settings of the trust boundary (issue #13) a case runs under, on top of
 * a layer's fixed base env: with or without an origin and an assertion key,
 * and each new variable on or off.
 */
export interface FuzzConfig {
  /** `proxy`: `ORIGIN_URL` is set. `forward-auth`: none, only `/auth/verify` hands out identity. */
  mode: 'proxy' | 'forward-auth';
  /** `ASSERTION_SIGNING_KEY` is set. */
  assertion: boolean;
  /** `CORS_PREFLIGHT=pass`. */
  corsPreflightPass: boolean;
  /** `FORWARD_CREDENTIALS=true`. */
  forwardCredentials: boolean;
  /** `ALLOW_HEADERS_WITH_UNDERSCORES` entries, as written. */
  headersWithUnderscores: string[];
  /** `TRUSTED_ORIGINS` entries, as written. */
  trustedOrigins: string[];
}

/** The defaults plus an assertion key: what both layers ran before issue #13. */
export const DEFAULT_CONFIG: FuzzConfig = {
  mode: 'proxy',
  assertion: true,
  corsPreflightPass: false,
  forwardCredentials: false,
  headersWithUnderscores: [],
  trustedOrigins: [],
};

/**
 * Names with `_` a config may let through: ordinary ones, a CGI name an
 * operator might really want, and reserved ones, which stay dropped even when
 * listed. Spelled as an operator might write them (the list is case-blind).
 */
export const ALLOWABLE_UNDERSCORE_NAMES = [
  'X_Custom_Trace',
  'x_request_id',
  'Script_Name',
  'X_Auth_User_Id',
  'x_forwarded_for',
  'X_Real_IP',
];

/** Trusted origins a config may list (one with a trailing `/`, which names the same origin). */
export const TRUSTED_ORIGIN_CHOICES = ['https://app.example', 'https://partner.example:8443/'];

/**
 * Configs for one case: mostly reverse-proxy mode with an assertion key, each
 * new variable set in about a third of the cases; `forward-auth` mostly
 * without `ORIGIN_URL`.
 *
 * @example
 * fc.sample(fuzzConfig('mixed'), 1)[0].mode // 'proxy' (7 times in 8)
 */
export function fuzzConfig(emphasis: 'proxy' | 'forward-auth'): fc.Arbitrary<FuzzConfig> {
  return fc.record({
    mode: fc.oneof(
      { weight: emphasis === 'proxy' ? 7 : 1, arbitrary: fc.constant('proxy' as const) },
      { weight: emphasis === 'proxy' ? 1 : 3, arbitrary: fc.constant('forward-auth' as const) },
    ),
    assertion: fc.constantFrom(true, true, false),
    corsPreflightPass: fc.constantFrom(false, false, true),
    forwardCredentials: fc.constantFrom(false, false, true),
    headersWithUnderscores: fc.oneof(
      { weight: 2, arbitrary: fc.constant<string[]>([]) },
      { weight: 1, arbitrary: fc.subarray(ALLOWABLE_UNDERSCORE_NAMES, { minLength: 1 }) },
    ),
    trustedOrigins: fc.oneof(
      { weight: 2, arbitrary: fc.constant<string[]>([]) },
      { weight: 1, arbitrary: fc.subarray(TRUSTED_ORIGIN_CHOICES, { minLength: 1 }) },
    ),
  });
}

/**
 * The bindings of `config`: the origin at `originUrl` (also the assertions'
 * audience) and `assertionKey` (a private JWK as JSON) when it has one.
 * Unset variables are `undefined`, so they override a base env.
 *
 * @example
 * configEnv(DEFAULT_CONFIG, { originUrl: 'https://origin.example', assertionKey }).ORIGIN_URL // 'https://origin.example'
 */
export function configEnv(
  config: FuzzConfig,
  options: { originUrl: string; assertionKey?: string },
): Partial<Env> {
  const list = (entries: string[]) => (entries.length > 0 ? entries.join(', ') : undefined);
  const signing = config.assertion ? options.assertionKey : undefined;
  return {
    ORIGIN_URL: config.mode === 'proxy' ? options.originUrl : undefined,
    ASSERTION_SIGNING_KEY: signing,
    // Without an origin the audience has no default.
    ASSERTION_AUDIENCE: signing && config.mode === 'forward-auth' ? options.originUrl : undefined,
    CORS_PREFLIGHT: config.corsPreflightPass ? 'pass' : undefined,
    FORWARD_CREDENTIALS: config.forwardCredentials ? 'true' : undefined,
    ALLOW_HEADERS_WITH_UNDERSCORES: list(config.headersWithUnderscores),
    TRUSTED_ORIGINS: list(config.trustedOrigins),
  };
}

/**
 * The names `config` lets through with `_`, as edge-auth compares them (lower case).
 *
 * @example
 * allowedUnderscoreNames({ ...DEFAULT_CONFIG, headersWithUnderscores: ['X_Custom_Trace'] }) // ['x_custom_trace']
 */
export function allowedUnderscoreNames(config: FuzzConfig): string[] {
  return config.headersWithUnderscores.map((name) => name.toLowerCase());
}

/**
 * `TRUSTED_ORIGINS` as origins (`scheme://host[:port]`, no trailing `/`).
 *
 * @example
 * trustedOrigins({ ...DEFAULT_CONFIG, trustedOrigins: ['https://partner.example:8443/'] }) // ['https://partner.example:8443']
 */
export function trustedOrigins(config: FuzzConfig): string[] {
  return config.trustedOrigins.map((entry) => new URL(entry).origin);
}
