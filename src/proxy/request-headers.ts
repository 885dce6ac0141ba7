import { TEXTS } from '../config/defaults';
import { hasBearer } from '../token/extract';
import { cookiePairs } from '../util/cookies';

/** Why a request is forwarded: it was authenticated, or it needs no authentication. */
export type Admission = 'authenticated' | 'public' | 'preflight';

/** What the client may still send to the origin (from `OriginConfig`). */
export interface HeaderPolicy {
  /** Lower-cased names with `_` the origin may receive (`ALLOW_HEADERS_WITH_UNDERSCORES`). */
  headersWithUnderscores: readonly string[];
  /** Keep edge-auth's own credential (`FORWARD_CREDENTIALS=true`). */
  forwardCredentials: boolean;
  /** edge-auth's session cookie (`SESSION_COOKIE`). */
  cookieName: string;
}

export const DEFAULT_HEADER_POLICY: HeaderPolicy = {
  headersWithUnderscores: [],
  forwardCredentials: false,
  cookieName: TEXTS.SESSION_COOKIE,
};

/**
 * Names only edge-auth may send to an origin, compared the way CGI, WSGI and
 * Rack read them: case-insensitively, with `_` and `-` alike
 * (`X_Auth_User_Id` becomes `HTTP_X_AUTH_USER_ID`, same as `X-Auth-User-Id`).
 * `X-Forwarded-*` are set by edge-auth from what it saw; `Forwarded` and
 * `X-Real-IP` would let a client claim another address or host.
 */
const RESERVED_PREFIXES = ['x-auth-', 'x-forwarded-'];
const RESERVED_NAMES = ['forwarded', 'x-real-ip'];
/** Path rewrites that IIS, Symfony, Laravel and Zend honour over the request line. */
const PATH_REWRITES = ['x-original-url', 'x-rewrite-url'];
/** Method overrides (Hono's `methodOverride()`, Rails, Laravel, Symfony, ASP.NET …). */
export const METHOD_OVERRIDES = ['x-http-method-override', 'x-http-method', 'x-method-override'];

/** Whether a client-sent header name is one only edge-auth may set, in any spelling. */
export function isReservedHeader(name: string): boolean {
  const normal = name.toLowerCase().replaceAll('_', '-');
  return RESERVED_NAMES.includes(normal) || RESERVED_PREFIXES.some((p) => normal.startsWith(p));
}

/**
 * Removes from `headers` what the client may not send to the origin:
 * - names only edge-auth may set (`isReservedHeader`);
 * - every name with `_` unless allowed: CGI and WSGI servers read request
 *   metadata from them (gunicorn takes `SCRIPT_NAME: /login` as the mount
 *   point, so `/login/account` would run the private `/account` view), and a
 *   name with `_` is the same variable as one with `-` there;
 * - `X-Original-URL`, `X-Rewrite-URL`: frameworks route on them;
 * - on public paths and preflights, the method overrides: a public `POST`
 *   must not run a `DELETE` handler;
 * - on preflights, `Cookie` and `Authorization`: a real one carries neither;
 * - edge-auth's own credential (its cookie, a Bearer token) unless kept.
 *
 * @example
 * stripClientHeaders(headers, 'public', DEFAULT_HEADER_POLICY);
 */
export function stripClientHeaders(headers: Headers, admission: Admission, policy: HeaderPolicy): void {
  const unauthenticated = admission !== 'authenticated';
  const names: string[] = [];
  headers.forEach((_, name) => {
    const lower = name.toLowerCase();
    // As WSGI reads it: `X_Original_URL` is the same variable as `X-Original-URL`, allowed or not.
    const cgi = lower.replaceAll('_', '-');
    if (
      isReservedHeader(lower) ||
      (lower.includes('_') && !policy.headersWithUnderscores.includes(lower)) ||
      PATH_REWRITES.includes(cgi) ||
      (unauthenticated && METHOD_OVERRIDES.includes(cgi))
    ) {
      names.push(name);
    }
  });
  for (const name of names) headers.delete(name);
  if (admission === 'preflight') {
    headers.delete('Cookie');
    headers.delete('Authorization');
  } else if (!policy.forwardCredentials) {
    stripCredential(headers, policy.cookieName);
  }
}

/** edge-auth's cookie out of `Cookie` (the others kept, as sent), and a Bearer `Authorization`. */
function stripCredential(headers: Headers, cookieName: string): void {
  if (hasBearer(headers)) headers.delete('Authorization');
  const cookie = headers.get('Cookie');
  if (cookie === null) return;
  const pairs = cookiePairs(cookie);
  const kept = pairs.filter((pair) => pair.name !== cookieName);
  if (kept.length === pairs.length) return;
  if (kept.length === 0) headers.delete('Cookie');
  else headers.set('Cookie', kept.map((pair) => pair.text).join('; '));
}
