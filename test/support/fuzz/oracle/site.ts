import { trustedOrigins } from '../configs';
import type { Exchange } from '../exchange';
import { type CheckContext, endpointOf, ownOrigins, requestPathname, sentHeader } from './context';
import { isBearer } from './credentials';

/** The request an assertion is bound to (RFC 9449's `htm`, `htu`). */
export interface Binding {
  htm: string;
  htu: string;
}

/** `Sec-Fetch-Site` values of a request made by a page of this site, or typed by the user. */
const OWN_SITE = new Set(['same-origin', 'same-site', 'none']);

/**
 * What a `POST /auth/logout` must get: refused (403 `cross_site_request`)
 * when cookie-authenticated (no Bearer) from another site — `Sec-Fetch-Site`
 * not same-origin, same-site or none, and `Origin` neither edge-auth's own
 * nor trusted, or `Origin` absent but `Sec-Fetch-Site` present; `either`
 * when that depends on which own origin the runtime saw; `undefined` for any
 * other request.
 *
 * @example
 * logoutVerdict(ex, ctx) // 'refuse' for a cookie logout with Origin: https://evil.example
 */
export function logoutVerdict(ex: Exchange, ctx: CheckContext): 'refuse' | 'allow' | 'either' | undefined {
  if (ex.method !== 'POST' || endpointOf(requestPathname(ex, ctx)) !== '/auth/logout') return undefined;
  if (isBearer(sentHeader(ex, ctx, 'authorization'))) return 'allow';
  const site = sentHeader(ex, ctx, 'sec-fetch-site');
  const origin = sentHeader(ex, ctx, 'origin');
  const trusted = trustedOrigins(ctx.config);
  const verdicts = ownOrigins(ex, ctx).map((own) => {
    if (site !== null && OWN_SITE.has(site.trim().toLowerCase())) return true;
    if (origin !== null) return origin === own || trusted.includes(origin);
    return site === null;
  });
  if (verdicts.every(Boolean)) return 'allow';
  return verdicts.some(Boolean) ? 'either' : 'refuse';
}

/**
 * What a forward-auth `/auth/verify` answer's assertion must be bound to:
 * the request the proxy says it forwards (`X-Forwarded-Method`, `-Uri`,
 * `-Proto`, `-Host`): `htm` the method upper-cased, `htu` scheme, host and
 * path with no query, the URI taken as a path even when it reads `//other.host`.
 * `undefined` when method or URI is missing or is not one (then no assertion
 * may be handed out).
 *
 * @example
 * forwardedBinding(ex, ctx) // { htm: 'DELETE', htu: 'https://app.example/api/x' }
 */
export function forwardedBinding(ex: Exchange, ctx: CheckContext): Binding[] | undefined {
  const header = (name: string) => sentHeader(ex, ctx, name)?.trim();
  const method = header('x-forwarded-method');
  const uri = header('x-forwarded-uri');
  if (!method || !/^[A-Za-z]+$/.test(method) || !uri?.startsWith('/')) return undefined;
  const own = new URL(ctx.ownOrigin);
  const proto = header('x-forwarded-proto')?.toLowerCase() ?? own.protocol.slice(0, -1);
  if (proto !== 'http' && proto !== 'https') return undefined;
  const forwardedHost = sentHeader(ex, ctx, 'x-forwarded-host')?.split(',')[0]?.trim();
  const hosts =
    forwardedHost !== undefined ? [forwardedHost] : ownOrigins(ex, ctx).map((o) => new URL(o).host);
  const bindings = hosts.flatMap((host) => {
    const url = URL.parse(`${proto}://${host}`);
    if (!url) return [];
    url.pathname = uri.split(/[?#]/)[0] ?? '/';
    return [{ htm: method.toUpperCase(), htu: `${url.origin}${url.pathname}` }];
  });
  return bindings.length > 0 ? bindings : undefined;
}

/**
 * What the assertion of a request forwarded with identity must be bound to:
 * its method and its public URL (edge-auth's origin and the pathname).
 *
 * @example
 * forwardBinding(ex, ctx) // [{ htm: 'GET', htu: 'http://localhost/api/x' }]
 */
export function forwardBinding(ex: Exchange, ctx: CheckContext): Binding[] {
  const pathname = requestPathname(ex, ctx) ?? '/';
  return ownOrigins(ex, ctx).map((origin) => ({ htm: ex.method, htu: `${origin}${pathname}` }));
}
