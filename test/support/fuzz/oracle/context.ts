import type { FuzzConfig } from '../configs';
import type { Exchange } from '../exchange';
import type { FuzzWorld } from '../world';

/** The claims of a verified `X-Auth-Assertion`. */
export type AssertionClaims = Record<string, unknown>;

/** What the oracle knows of the layer and the Worker's settings. */
export interface CheckContext {
  world: FuzzWorld;
  secret: string;
  publicPaths: string[];
  /** `SESSION_COOKIE`. */
  cookieName: string;
  /** The trust-boundary settings the Worker runs with. */
  config: FuzzConfig;
  /** Where clients reach edge-auth (`http://localhost`): a logout's own origin, the host of `htu`. */
  ownOrigin: string;
  /** The `CF-Connecting-IP` the runtime supplies when the client sends none (workerd: 127.0.0.1). */
  runtimeClientIp?: string;
  /** How the Worker reads a header value the client sent (workerd: its bytes as UTF-8); default as sent. */
  seenByWorker?: (sent: string) => string;
  /** How the origin reads a header value the Worker sends (node: UTF-8 bytes as Latin-1); default as sent. */
  seenByOrigin?: (forwarded: string) => string;
  /** `JWT_ISSUER` / `JWT_AUDIENCE`, when configured: a token without them authenticates nothing. */
  issuer?: string;
  audience?: string[];
  /** Verifies an `X-Auth-Assertion` (signature, issuer, audience, expiry) and returns its claims, or throws. */
  verifyAssertion?: (assertion: string) => Promise<AssertionClaims>;
}

/**
 * A header name as CGI, WSGI and Rack read it: case-blind, `_` and `-` alike.
 *
 * @example
 * cgi('X_Auth_User_Id') // 'x-auth-user-id'
 */
export const cgi = (name: string) => name.toLowerCase().replaceAll('_', '-');

/**
 * A header the client sent, as the Worker reads it; `null` when not sent.
 *
 * @example
 * sentHeader(ex, ctx, 'cookie') // 'theme=dark; session=eyJ…'
 */
export function sentHeader(ex: Exchange, ctx: CheckContext, name: string): string | null {
  const value = ex.sent.get(name);
  return value === null || !ctx.seenByWorker ? value : ctx.seenByWorker(value);
}

/**
 * A value the Worker sends on, as the origin reads it.
 *
 * @example
 * atOrigin(ctx, 'é') // 'Ã©' in workerd behind node
 */
export function atOrigin(ctx: CheckContext, value: string): string {
  return ctx.seenByOrigin ? ctx.seenByOrigin(value) : value;
}

/**
 * The origins the Worker may take as its own: where the client sent the
 * request, or the `Host` it claimed (a runtime may build the URL from it).
 *
 * @example
 * ownOrigins(ex, ctx) // ['http://localhost']
 */
export function ownOrigins(ex: Exchange, ctx: CheckContext): string[] {
  const own = new URL(ctx.ownOrigin);
  const host = sentHeader(ex, ctx, 'host');
  const claimed = host === null ? undefined : URL.parse(`${own.protocol}//${host}`)?.origin;
  return claimed && claimed !== own.origin ? [own.origin, claimed] : [own.origin];
}

/**
 * The request's pathname as the Worker sees it, or `undefined` when the URL
 * does not parse.
 *
 * @example
 * requestPathname(ex, ctx) // '/auth/logout' for '/auth/./logout?x=1'
 */
export function requestPathname(ex: Exchange, ctx: CheckContext): string | undefined {
  return URL.parse(`${ctx.ownOrigin}${ex.request.path}`)?.pathname;
}

/**
 * A pathname as the router decodes it (`%76` is `v`, `%2f` stays).
 *
 * @example
 * routedPath('/auth/%76erify') // '/auth/verify'
 */
export function routedPath(pathname: string): string {
  try {
    return decodeURI(pathname);
  } catch {
    return pathname;
  }
}

/**
 * The endpoint a pathname routes to; `undefined` for the proxy.
 *
 * @example
 * endpointOf('/auth/%76erify') // '/auth/verify'
 */
export function endpointOf(pathname: string | undefined): string | undefined {
  if (pathname === undefined) return undefined;
  const routed = routedPath(pathname);
  return ENDPOINTS.has(routed) ? routed : undefined;
}

/**
 * Whether a path lies in edge-auth's own `/auth` namespace, whose answers
 * all say `Cache-Control: no-store` (also the origin's, for the paths there
 * that are proxied).
 *
 * @example
 * inAuthNamespace('/auth/%78') // true; inAuthNamespace('/authx') // false
 */
export function inAuthNamespace(pathname: string | undefined): boolean {
  if (pathname === undefined) return false;
  const routed = routedPath(pathname);
  return routed === '/auth' || routed.startsWith('/auth/');
}

/** Endpoints that answer every method themselves (so an OPTIONS there never reaches the origin). */
const ENDPOINTS = new Set(['/auth/session', '/auth/verify', '/auth/logout']);
