import type { Context, MiddlewareHandler } from 'hono';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ASSERTION_HEADER, type RequestBinding } from '../assertion/signer';
import { CrossSiteError } from '../errors';
import { forward } from '../proxy/forward';
import { identityHeaders } from '../proxy/identity';
import type { EdgeAuthServices } from '../services';
import type { AuthSession } from '../session/types';
import { hasBearer } from '../token/extract';
import { errorResponse, RETRY_AFTER_SECONDS } from './errors';
import {
  type EdgeAuthEnv,
  type EdgeAuthOptions,
  edgeAuth,
  servicesResolver,
  timingOf,
  toHttpException,
  verifyRequestToken,
} from './middleware';
import { observe } from './observe';
import { isOwnSiteRequest } from './same-site';

/**
 * The edge-auth Worker as a Hono app, built from its own `edgeAuth()`
 * middleware: the `/auth/*` endpoints, `/healthz`, the assertion key set,
 * and the authenticating reverse proxy for every other path.
 *
 * @example
 * export default createApp(); // services are built from the Worker's env
 */
export function createApp(options: EdgeAuthOptions = {}) {
  const services = servicesResolver(options);
  const auth = edgeAuth(options);
  const app = new Hono<EdgeAuthEnv>();

  app.use('*', observe({ route: routeOf, ...(options.log ? { log: options.log } : {}) }));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  // Public and unauthenticated: the body says only ready or not; which dependency
  // is down goes to the log (by the prober, once per probe).
  app.get('/readyz', async (c) => {
    const { ready } = await services(c).authenticator.readiness();
    if (ready) return c.json({ status: 'ready' }, 200, { 'Cache-Control': 'no-store' });
    return c.json({ status: 'not_ready' }, 503, {
      'Cache-Control': 'no-store',
      'Retry-After': String(RETRY_AFTER_SECONDS),
    });
  });

  // The public half of the assertion key, for origins to verify X-Auth-Assertion.
  app.get('/.well-known/jwks.json', async (c) => {
    const signer = services(c).assertion;
    if (!signer) return c.json({ error: 'not_found', message: 'assertions are not enabled' }, 404);
    return c.json(await signer.publicJwks(), 200, { 'Cache-Control': 'public, max-age=300' });
  });

  app.use('/auth/*', noStore);
  app.get('/auth/session', auth, (c) => c.json(sessionJson(c.get('session'))));
  app.all('/auth/session', (c) => methodNotAllowed(c, 'GET, HEAD'));

  // Forward-auth (nginx auth_request, Caddy forward_auth, Traefik ForwardAuth):
  // the proxy keeps the original method, so every method is answered. The
  // assertion is for origins: in reverse-proxy mode only forwarded requests
  // carry it; in forward-auth mode it is bound to the request the proxy forwards.
  app.all('/auth/verify', auth, async (c) => {
    const resolved = services(c);
    const binding = resolved.config.origin.url ? undefined : forwardedRequest(c.req.raw);
    for (const [name, value] of await identityFor(resolved, c.get('session'), binding)) c.header(name, value);
    return c.body(null, 200);
  });

  app.post('/auth/logout', async (c) => {
    const resolved = services(c);
    // A cookie rides along on any site's form or fetch; a Bearer token is sent only on purpose.
    const { headers } = c.req.raw;
    if (
      !hasBearer(headers) &&
      !isOwnSiteRequest(headers, new URL(c.req.url).origin, resolved.config.origin.trustedOrigins)
    ) {
      throw toHttpException(new CrossSiteError());
    }
    const claims = await verifyRequestToken(c, resolved);
    await resolved.authenticator.logout(claims).catch((err) => {
      throw toHttpException(err);
    });
    return c.body(null, 204);
  });
  app.all('/auth/logout', (c) => methodNotAllowed(c, 'POST'));

  app.all('*', unlessPublic(services, auth), async (c) => {
    const resolved = services(c);
    const origin = resolved.config.origin.url;
    if (!origin) return c.json({ error: 'not_found', message: 'no such endpoint' }, 404);
    // Set by `auth`; unset when `unlessPublic` let the request through (decided once, above).
    const session = c.get('session') as AuthSession | undefined;
    const { origin: config, token } = resolved.config;
    const policy = {
      headersWithUnderscores: config.headersWithUnderscores,
      forwardCredentials: config.forwardCredentials,
      cookieName: token.cookieName,
    };
    const start = performance.now();
    try {
      if (!session) {
        const admission = isPassedPreflight(resolved, c) ? 'preflight' : 'public';
        return await forward(c.req.raw, origin, { admission, policy });
      }
      const url = new URL(c.req.url);
      const binding = { method: c.req.method, url: `${url.origin}${url.pathname}` };
      return await forward(c.req.raw, origin, {
        identity: await identityFor(resolved, session, binding),
        admission: 'authenticated',
        policy,
      });
    } finally {
      timingOf(c).add('origin', performance.now() - start);
    }
  });

  app.onError((err) => (err instanceof HTTPException ? err.getResponse() : errorResponse(err)));
  return app;
}

const ROUTES: Record<string, string> = {
  '/healthz': 'healthz',
  '/readyz': 'readyz',
  '/.well-known/jwks.json': 'jwks',
  '/auth/session': 'session',
  '/auth/verify': 'verify',
  '/auth/logout': 'logout',
};

/** The endpoint's name for the log line (from the path Hono routed on); every other path is the proxy. */
function routeOf(c: Context): string {
  return ROUTES[c.req.path] ?? 'proxy';
}

/** Runs `auth` except on `PUBLIC_PATHS` (and when there is no origin, which answers 404). */
function unlessPublic(
  services: (c: Context) => EdgeAuthServices,
  auth: MiddlewareHandler,
): MiddlewareHandler {
  return (c, next) => {
    const resolved = services(c);
    if (!resolved.config.origin.url || isPublicRequest(resolved, c)) return next();
    return auth(c, next);
  };
}

/**
 * Forwarded without authentication and without identity: public paths, and
 * with `CORS_PREFLIGHT=pass` the CORS preflights (browsers send them without
 * credentials, so authenticating them would block every cross-origin call).
 * Public paths are matched on the normalised pathname the origin receives.
 */
function isPublicRequest(services: EdgeAuthServices, c: Context): boolean {
  // Without public paths there is nothing to match: the URL is not parsed at all.
  const publicPaths = services.config.origin.publicPaths.length > 0;
  return (publicPaths && services.isPublic(new URL(c.req.url).pathname)) || isPassedPreflight(services, c);
}

/**
 * A real preflight: OPTIONS with `Origin` and `Access-Control-Request-Method`
 * and no body. A browser's preflight never has a body; an OPTIONS with one
 * could carry `_method=DELETE` to an origin that honours method overrides.
 */
function isPassedPreflight(services: EdgeAuthServices, c: Context): boolean {
  if (services.config.origin.corsPreflight !== 'pass' || c.req.method !== 'OPTIONS') return false;
  const { headers, body } = c.req.raw;
  if (!headers.has('Origin') || !headers.has('Access-Control-Request-Method')) return false;
  if (headers.has('Transfer-Encoding')) return false;
  const length = headers.get('Content-Length');
  return length === null ? body === null : /^\s*0+\s*$/.test(length);
}

/**
 * The request a forward-auth proxy will forward, from the headers it sets
 * (`X-Forwarded-Method`, `-Uri`, `-Proto`, `-Host`): what a forward-auth
 * assertion is bound to. Without method and URI there is nothing to bind to,
 * and no assertion is handed out.
 */
function forwardedRequest(request: Request): RequestBinding | undefined {
  const { headers } = request;
  const method = headers.get('X-Forwarded-Method')?.trim();
  const uri = headers.get('X-Forwarded-Uri')?.trim();
  if (!method || !/^[A-Za-z]+$/.test(method) || !uri?.startsWith('/')) return undefined;
  const own = new URL(request.url);
  const proto = headers.get('X-Forwarded-Proto')?.trim().toLowerCase() ?? own.protocol.slice(0, -1);
  const host = headers.get('X-Forwarded-Host')?.split(',')[0]?.trim() ?? headers.get('Host') ?? own.host;
  if (proto !== 'http' && proto !== 'https') return undefined;
  try {
    const url = new URL(`${proto}://${host}`);
    // Set as a path, never resolved as a reference: `//other.host/x` must not change the host.
    url.pathname = uri.split(/[?#]/)[0] ?? '/';
    return { method: method.toUpperCase(), url: `${url.origin}${url.pathname}` };
  } catch {
    return undefined;
  }
}

/**
 * The headers that carry an authenticated identity: the six `X-Auth-*`
 * values and, when enabled and there is a request to bind it to, the signed
 * `X-Auth-Assertion`.
 */
async function identityFor(
  services: EdgeAuthServices,
  session: AuthSession,
  binding: RequestBinding | undefined,
): Promise<IdentityHeaders> {
  let headers = encodedIdentities.get(session);
  if (!headers) {
    headers = identityHeaders(session);
    encodedIdentities.set(session, headers);
  }
  if (!services.assertion || !binding) return headers;
  return [...headers, [ASSERTION_HEADER, await services.assertion.sign(session, binding)]];
}

/**
 * Encoded identity headers per session object: the L1 hands every request of
 * a session the same object, so its headers are encoded once per load.
 */
const encodedIdentities = new WeakMap<AuthSession, IdentityHeaders>();

type IdentityHeaders = readonly (readonly [string, string])[];

/** The JSON shape of `GET /auth/session`. */
export function sessionJson({ user, session }: AuthSession) {
  return {
    user: {
      id: user.id,
      username: user.username,
      email: user.email,
      firstName: user.firstName,
      lastName: user.lastName,
      isStaff: user.isStaff,
      isActive: user.isActive,
      isSuperuser: user.isSuperuser,
    },
    session: { id: session.id, expiresAt: new Date(session.expiresAt).toISOString(), data: session.data },
  };
}

async function noStore(c: Context, next: () => Promise<void>) {
  await next();
  c.res.headers.set('Cache-Control', 'no-store');
}

function methodNotAllowed(c: Context, allow: string) {
  return c.json({ error: 'method_not_allowed', message: `use ${allow}` }, 405, { Allow: allow });
}
