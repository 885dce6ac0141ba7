import type { Env } from '../env';

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

type Read = (name: keyof Env) => string | undefined;
type Url = (name: keyof Env, value: string | undefined, protocols: string[]) => URL | undefined;

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * `ORIGIN_URL`, `PUBLIC_PATHS` and the settings of what crosses to the
 * origin. Problems are appended to `problems`, naming variables only.
 *
 * @example
 * parseOrigin(read, url, problems).publicPaths // ['/login', '/static']
 */
export function parseOrigin(read: Read, url: Url, problems: string[]): OriginConfig {
  const originUrl = url('ORIGIN_URL', read('ORIGIN_URL'), ['https:', 'http:']);
  const allowAll = flag(read, 'PUBLIC_PATHS_ALLOW_ALL', problems);
  const publicPaths = parsePublicPaths(read('PUBLIC_PATHS'), allowAll, problems);
  const corsPreflight = read('CORS_PREFLIGHT') ?? 'authenticate';
  if (corsPreflight !== 'authenticate' && corsPreflight !== 'pass')
    problems.push('CORS_PREFLIGHT must be "authenticate" or "pass"');
  const headersWithUnderscores = list(read('ALLOW_HEADERS_WITH_UNDERSCORES')).map((h) => h.toLowerCase());
  if (headersWithUnderscores.some((h) => !HEADER_NAME.test(h)))
    problems.push('ALLOW_HEADERS_WITH_UNDERSCORES must be a comma list of header names');
  const trustedOrigins: string[] = [];
  for (const entry of list(read('TRUSTED_ORIGINS'))) {
    const origin = url('TRUSTED_ORIGINS', entry, ['https:', 'http:']);
    if (origin && origin.origin !== entry.replace(/\/$/, '')) {
      problems.push('TRUSTED_ORIGINS entries must be origins (scheme://host[:port]), without a path');
    } else if (origin) trustedOrigins.push(origin.origin);
  }
  return {
    url: originUrl,
    publicPaths,
    corsPreflight: corsPreflight === 'pass' ? 'pass' : 'authenticate',
    headersWithUnderscores,
    forwardCredentials: flag(read, 'FORWARD_CREDENTIALS', problems),
    trustedOrigins,
  };
}

/** `true` or `false` (default `false`). */
export function flag(read: Read, name: keyof Env, problems: string[]): boolean {
  const raw = read(name)?.toLowerCase();
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  problems.push(`${name} must be "true" or "false"`);
  return false;
}

/**
 * Entries start with `/` and may end with `*`. One that covers every path
 * (`/`, `/*`) turns authentication off: refused unless
 * `PUBLIC_PATHS_ALLOW_ALL=true` says so on purpose.
 */
function parsePublicPaths(raw: string | undefined, allowAll: boolean, problems: string[]): string[] {
  const paths = list(raw);
  if (paths.some((path) => !path.startsWith('/') || path.slice(0, -1).includes('*'))) {
    problems.push('PUBLIC_PATHS entries must start with "/" and may only end with "*"');
  } else if (!allowAll && paths.some((path) => path.replace(/\*$/, '').replace(/\/+$/, '') === '')) {
    problems.push(
      'PUBLIC_PATHS must not cover every path ("/" or "/*" turns authentication off); set PUBLIC_PATHS_ALLOW_ALL=true if that is intended',
    );
  }
  return paths;
}

function list(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}
