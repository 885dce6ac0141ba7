import type { Context } from 'hono';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { CrossSiteError } from '../errors';
import { coreOf } from '../hono/core';
import { edgeAuth, toHttpException, verifyRequestToken } from '../hono/middleware';
import { errorResponse, RETRY_AFTER_SECONDS } from '../http/errors';
import { hasBearer } from '../token/extract';
import type { WorkerEnv } from './env';
import { forwardedRequest, identityFor, sessionJson } from './identity';
import { observe } from './observe';
import { proxyRoute, unlessPublic } from './proxy';
import { ROUTES, routeOf } from './routes';
import { isOwnSiteRequest } from './same-site';
import { type WorkerServices, workerServices } from './services';

export interface AppOptions {
  /** Where the services come from; default: built once per isolate from the Worker's bindings. */
  services?: WorkerServices | ((c: Context<WorkerEnv>) => WorkerServices);
  /** Where the one JSON line per request goes; default `console.log`. */
  log?: (line: string) => void;
}

/**
 * The edge-auth Worker as a Hono app, built from its own `edgeAuth()`
 * middleware: the `/auth/*` endpoints, `/healthz`, `/readyz`, the assertion
 * key set, and the authenticating reverse proxy for every other path.
 *
 * @example
 * export default createApp(); // services are built from the Worker's env
 */
export function createApp(options: AppOptions = {}): Hono<WorkerEnv> {
  const services = servicesOf(options.services);
  const auth = edgeAuth<WorkerEnv>((c) => services(c).auth);
  const core = (c: Context<WorkerEnv>) => coreOf(services(c).auth)(c);
  const app = new Hono<WorkerEnv>();

  app.use('*', observe({ route: routeOf, ...(options.log ? { log: options.log } : {}) }));

  app.get(ROUTES.healthz, (c) => c.json({ status: 'ok' }));
  // Public and unauthenticated: the body says only ready or not; which dependency
  // is down goes to the log (by the prober, once per probe).
  app.get(ROUTES.readyz, async (c) => {
    const { ready } = await core(c).authenticator.readiness();
    if (ready) return c.json({ status: 'ready' }, 200, { 'Cache-Control': 'no-store' });
    return c.json({ status: 'not_ready' }, 503, {
      'Cache-Control': 'no-store',
      'Retry-After': String(RETRY_AFTER_SECONDS),
    });
  });

  // The public half of the assertion key, for origins to verify X-Auth-Assertion.
  app.get(ROUTES.jwks, async (c) => {
    const signer = services(c).assertion;
    if (!signer) return c.json({ error: 'not_found', message: 'assertions are not enabled' }, 404);
    return c.json(await signer.publicJwks(), 200, { 'Cache-Control': 'public, max-age=300' });
  });

  app.use('/auth/*', noStore);
  app.get(ROUTES.session, auth, (c) => c.json(sessionJson(c.get('edgeAuth').session)));
  app.all(ROUTES.session, (c) => methodNotAllowed(c, 'GET, HEAD'));

  // Forward-auth (nginx auth_request, Caddy forward_auth, Traefik ForwardAuth):
  // the proxy keeps the original method, so every method is answered. The
  // assertion is for origins: in reverse-proxy mode only forwarded requests
  // carry it; in forward-auth mode it is bound to the request the proxy forwards.
  app.all(ROUTES.verify, auth, async (c) => {
    const resolved = services(c);
    const binding = resolved.config.origin.url ? undefined : forwardedRequest(c.req.raw);
    const identity = await identityFor(c.get('edgeAuth').session, resolved.assertion, binding);
    for (const [name, value] of identity) c.header(name, value);
    return c.body(null, 200);
  });

  app.post(ROUTES.logout, async (c) => {
    const resolved = services(c);
    // A cookie rides along on any site's form or fetch; a Bearer token is sent only on purpose.
    const { headers } = c.req.raw;
    const ownSite = isOwnSiteRequest(
      headers,
      new URL(c.req.url).origin,
      resolved.config.origin.trustedOrigins,
    );
    try {
      const credential = core(c).credential(resolved.config.token.cookieName);
      // Only edge-auth's own JWT can come as a Bearer header; Django's session is always the cookie.
      const ambient = !(credential.ownedByEdgeAuth && hasBearer(headers));
      if (ambient && !ownSite) throw new CrossSiteError();
      const claims = await verifyRequestToken(c, credential);
      await core(c).authenticator.logout(claims);
    } catch (err) {
      throw toHttpException(err);
    }
    return c.body(null, 204);
  });
  app.all(ROUTES.logout, (c) => methodNotAllowed(c, 'POST'));

  app.all('*', unlessPublic(services, auth), proxyRoute(services));

  app.onError((err) => (err instanceof HTTPException ? err.getResponse() : errorResponse(err)));
  return app;
}

function servicesOf(given: AppOptions['services']): (c: Context<WorkerEnv>) => WorkerServices {
  if (typeof given === 'function') return given;
  if (given) return () => given;
  return (c) => {
    try {
      return workerServices(c.env);
    } catch (err) {
      throw toHttpException(err);
    }
  };
}

async function noStore(c: Context, next: () => Promise<void>) {
  await next();
  c.res.headers.set('Cache-Control', 'no-store');
}

function methodNotAllowed(c: Context, allow: string) {
  return c.json({ error: 'method_not_allowed', message: `use ${allow}` }, 405, { Allow: allow });
}
