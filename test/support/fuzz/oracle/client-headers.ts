import { allowedUnderscoreNames } from '../configs';
import type { Exchange, OriginRecord } from '../exchange';
import type { Admission } from './admission';
import { atOrigin, type CheckContext, cgi, sentHeader } from './context';
import { cookieWithout, isBearer } from './credentials';

/** Names only edge-auth may set, in any spelling (README "Identity headers"). */
const RESERVED_PREFIXES = ['x-auth-', 'x-forwarded-'];
const RESERVED_NAMES = ['forwarded', 'x-real-ip'];
/** Path rewrites frameworks route on: never from a client. */
const PATH_REWRITES = ['x-original-url', 'x-rewrite-url'];
/** Method overrides: never on a request that needed no authentication. */
const METHOD_OVERRIDES = ['x-http-method-override', 'x-http-method', 'x-method-override'];
/** The forwarding headers edge-auth itself sets, spelled as it sets them. */
const EDGE_FORWARDING_NAMES = new Set(['x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-for']);

/**
 * Whether only edge-auth may send this name to an origin, however spelled.
 *
 * @example
 * isReservedName('X_Auth_User_Id') // true
 */
export function isReservedName(name: string): boolean {
  const normal = cgi(name);
  return RESERVED_NAMES.includes(normal) || RESERVED_PREFIXES.some((p) => normal.startsWith(p));
}

/**
 * The forwarding headers of a request at the origin: no client-sent
 * `Forwarded`, `X-Real-IP` or `X-Forwarded-*`, and edge-auth's own with the
 * values it saw (host, `http`, the client address).
 *
 * @example
 * forwardingProblems(record, ex, ctx) // [] when only edge-auth's X-Forwarded-* arrived
 */
export function forwardingProblems(record: OriginRecord, ex: Exchange, ctx: CheckContext): string[] {
  const problems: string[] = [];
  const asForwarded = (value: string | null) => (value === null ? null : atOrigin(ctx, value));
  // An empty value is no address: the runtime then supplies its own.
  const clientIp = asForwarded(sentHeader(ex, ctx, 'cf-connecting-ip') || ctx.runtimeClientIp || null);
  const ownHost = new URL(ctx.ownOrigin).host;
  for (const [name, value] of record.headers) {
    const normal = cgi(name);
    if (normal === 'forwarded' || normal === 'x-real-ip') {
      problems.push(`client header ${JSON.stringify(name)} got through`);
    } else if (normal.startsWith('x-forwarded-')) {
      if (name.toLowerCase() !== normal || !EDGE_FORWARDING_NAMES.has(normal)) {
        problems.push(`client header ${JSON.stringify(name)} got through`);
      } else if (
        normal === 'x-forwarded-host' &&
        value !== ownHost &&
        value !== asForwarded(sentHeader(ex, ctx, 'host'))
      ) {
        problems.push(`X-Forwarded-Host ${JSON.stringify(value)}`);
      } else if (normal === 'x-forwarded-proto' && value !== 'http') {
        problems.push(`X-Forwarded-Proto ${JSON.stringify(value)}`);
      } else if (normal === 'x-forwarded-for' && value !== clientIp) {
        problems.push(`X-Forwarded-For ${JSON.stringify(value)} is not CF-Connecting-IP`);
      }
    }
  }
  return problems;
}

/**
 * What of the client's own headers may reach the origin under `admission`:
 * no name with `_` unless allowed (and never a reserved one), no path
 * rewrite, no method override unless authenticated, no `Cookie` or
 * `Authorization` on a preflight, edge-auth's cookie and Bearer token only
 * with `FORWARD_CREDENTIALS=true`; and what must arrive as sent: allowed
 * `_` names, overrides of authenticated requests, the other cookies, other
 * `Authorization` schemes.
 *
 * @example
 * clientHeaderProblems(record, 'public', ex, ctx) // ['client header "SCRIPT_NAME" (with _) got through']
 */
export function clientHeaderProblems(
  record: OriginRecord,
  admission: Admission,
  ex: Exchange,
  ctx: CheckContext,
): string[] {
  const problems: string[] = [];
  const allowed = allowedUnderscoreNames(ctx.config);
  const passes = (lower: string) => allowed.includes(lower) && !isReservedName(lower);
  const got = new Map(record.headers.map(([name, value]) => [name.toLowerCase(), value]));
  for (const [name] of record.headers) {
    const lower = name.toLowerCase();
    if (lower.includes('_') && !passes(lower)) {
      problems.push(`client header ${JSON.stringify(name)} (with _) got through`);
    } else if (PATH_REWRITES.includes(lower)) {
      problems.push(`path rewrite ${JSON.stringify(name)} got through`);
    } else if (admission !== 'authenticated' && METHOD_OVERRIDES.includes(lower)) {
      problems.push(`method override ${JSON.stringify(name)} got through on a ${admission} request`);
    }
  }
  const expect = (name: string, value: string | null, why: string) => {
    // A header passed on untouched keeps the client's bytes; one edge-auth rewrote is its text.
    const untouched = value !== null && value === sentHeader(ex, ctx, name);
    const wanted = value === null ? null : untouched ? ex.sent.get(name) : atOrigin(ctx, value);
    if ((got.get(name) ?? null) !== wanted) {
      problems.push(
        `${name} at the origin is ${JSON.stringify(got.get(name) ?? null)}, not ${JSON.stringify(wanted)} (${why})`,
      );
    }
  };
  ex.sent.forEach((_, name) => {
    if (name.includes('_') && passes(name)) expect(name, sentHeader(ex, ctx, name), 'allowed with _');
    if (admission === 'authenticated' && METHOD_OVERRIDES.includes(name)) {
      expect(name, sentHeader(ex, ctx, name), 'an authenticated request keeps its override');
    }
  });
  const cookie = sentHeader(ex, ctx, 'cookie');
  const authorization = sentHeader(ex, ctx, 'authorization');
  if (admission === 'preflight') {
    expect('cookie', null, 'a preflight carries no credentials');
    expect('authorization', null, 'a preflight carries no credentials');
  } else if (ctx.config.forwardCredentials) {
    expect('cookie', cookie, 'FORWARD_CREDENTIALS keeps it');
    expect('authorization', authorization, 'FORWARD_CREDENTIALS keeps it');
  } else {
    expect('cookie', cookieWithout(cookie, ctx.cookieName), "edge-auth's cookie removed, the others kept");
    expect(
      'authorization',
      isBearer(authorization) ? null : authorization,
      'a Bearer token removed, any other kept',
    );
  }
  return problems;
}
