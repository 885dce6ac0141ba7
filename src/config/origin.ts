import { TEXTS } from './defaults';
import type { Reader } from './reader';

/** How requests reach the origin, and what they may carry there. */
export interface OriginConfig {
  url: URL | undefined;
  publicPaths: string[];
  /** `pass`: real CORS preflights go to the origin unauthenticated (no identity, no credentials). */
  corsPreflight: 'authenticate' | 'pass';
  /** Lower-cased header names with `_` that the origin may still receive (`ALLOW_HEADERS_WITH_UNDERSCORES`). */
  headersWithUnderscores: string[];
  /** `FORWARD_CREDENTIALS=true`: edge-auth's cookie and Bearer token reach the origin too. */
  forwardCredentials: boolean;
  /** Origins (besides edge-auth's own) whose pages may log a cookie-authenticated user out (`TRUSTED_ORIGINS`). */
  trustedOrigins: string[];
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * `ORIGIN_URL`, `PUBLIC_PATHS` and the settings of what crosses to the origin.
 *
 * @example
 * parseOrigin(createReader({ PUBLIC_PATHS: '/login,/static' })).publicPaths // ['/login', '/static']
 */
export function parseOrigin(r: Reader): OriginConfig {
  const url = r.url('ORIGIN_URL', r.read('ORIGIN_URL'), ['https:', 'http:']);
  const publicPaths = parsePublicPaths(r);
  const corsPreflight = r.read('CORS_PREFLIGHT') ?? TEXTS.CORS_PREFLIGHT;
  if (corsPreflight !== 'authenticate' && corsPreflight !== 'pass')
    r.problems.push('CORS_PREFLIGHT must be "authenticate" or "pass"');
  const headersWithUnderscores = r.list('ALLOW_HEADERS_WITH_UNDERSCORES').map((h) => h.toLowerCase());
  if (headersWithUnderscores.some((h) => !HEADER_NAME.test(h)))
    r.problems.push('ALLOW_HEADERS_WITH_UNDERSCORES must be a comma list of header names');
  const trustedOrigins: string[] = [];
  for (const entry of r.list('TRUSTED_ORIGINS')) {
    const origin = r.url('TRUSTED_ORIGINS', entry, ['https:', 'http:']);
    if (origin && origin.origin !== entry.replace(/\/$/, '')) {
      r.problems.push('TRUSTED_ORIGINS entries must be origins (scheme://host[:port]), without a path');
    } else if (origin) trustedOrigins.push(origin.origin);
  }
  return {
    url,
    publicPaths,
    corsPreflight: corsPreflight === 'pass' ? 'pass' : 'authenticate',
    headersWithUnderscores,
    forwardCredentials: r.flag('FORWARD_CREDENTIALS'),
    trustedOrigins,
  };
}

/**
 * Entries start with `/` and may end with `*`. One that covers every path
 * (`/`, `/*`) turns authentication off: refused unless
 * `PUBLIC_PATHS_ALLOW_ALL=true` says so on purpose.
 */
function parsePublicPaths(r: Reader): string[] {
  const allowAll = r.flag('PUBLIC_PATHS_ALLOW_ALL');
  const paths = r.list('PUBLIC_PATHS');
  if (paths.some((path) => !path.startsWith('/') || path.slice(0, -1).includes('*'))) {
    r.problems.push('PUBLIC_PATHS entries must start with "/" and may only end with "*"');
  } else if (!allowAll && paths.some((path) => path.replace(/\*$/, '').replace(/\/+$/, '') === '')) {
    r.problems.push(
      'PUBLIC_PATHS must not cover every path ("/" or "/*" turns authentication off); set PUBLIC_PATHS_ALLOW_ALL=true if that is intended',
    );
  }
  return paths;
}
