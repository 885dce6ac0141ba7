import type { Context } from 'hono';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ASSERTION_HEADER } from '../assertion/signer';
import { forward } from '../proxy/forward';
import { identityHeaders } from '../proxy/identity';
import type { EdgeAuthServices } from '../services';
import type { AuthSession } from '../session/types';
import { errorResponse } from './errors';
import {
  authenticateRequest,
  type EdgeAuthEnv,
  type EdgeAuthOptions,
  guardAsync,
  servicesResolver,
  timingOf,
  toHttpException,
  verifyRequestToken,
} from './middleware';

/**
 * The edge-auth Worker as a Hono app: the `/auth/*` endpoints, `/healthz`,
 * and the authenticating reverse proxy for every other path.
 *
 * @example
 * export default createApp(); // services are built from the Worker's env
 */
export function createApp(options: EdgeAuthOptions = {}) {
  const services = servicesResolver(options);
  const app = new Hono<EdgeAuthEnv>();

  app.use('*', async (c, next) => {
    const timing = timingOf(c);
    const start = performance.now();
    await next();
    timing.add('total', performance.now() - start);
    c.res.headers.append('Server-Timing', timing.header());
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  // The public half of the assertion key, for origins to verify X-Auth-Assertion.
  app.get('/.well-known/jwks.json', async (c) => {
    const signer = services(c).assertion;
    if (!signer) return c.json({ error: 'not_found', message: 'assertions are not enabled' }, 404);
    return c.json(await signer.publicJwks(), 200, { 'Cache-Control': 'public, max-age=300' });
  });

  app.use('/auth/session', noStore);
  app.use('/auth/verify', noStore);
  app.use('/auth/logout', noStore);

  app.get('/auth/session', async (c) => {
    const { session } = await authenticateRequest(c, services(c));
    return c.json(sessionJson(session));
  });
  app.all('/auth/session', (c) => methodNotAllowed(c, 'GET, HEAD'));

  // Forward-auth (nginx auth_request, Caddy forward_auth, Traefik ForwardAuth):
  // the proxy keeps the original method, so every method is answered.
  app.all('/auth/verify', async (c) => {
    const resolved = services(c);
    const { session } = await authenticateRequest(c, resolved);
    for (const [name, value] of await guardAsync(() => identityFor(resolved, session))) c.header(name, value);
    return c.body(null, 200);
  });

  app.post('/auth/logout', async (c) => {
    const resolved = services(c);
    await guardAsync(async () => resolved.authenticator.logout(await verifyRequestToken(c, resolved)));
    return c.body(null, 204);
  });
  app.all('/auth/logout', (c) => methodNotAllowed(c, 'POST'));

  app.all('*', async (c) => {
    const resolved = services(c);
    const origin = resolved.config.origin.url;
    if (!origin) return c.json({ error: 'not_found', message: 'no such endpoint' }, 404);
    // Match on the raw, normalised pathname: the exact path the origin receives.
    const session = resolved.isPublic(new URL(c.req.url).pathname)
      ? undefined
      : (await authenticateRequest(c, resolved)).session;
    const start = performance.now();
    try {
      return await forward(c.req.raw, origin, session && (await identityFor(resolved, session)));
    } catch (err) {
      throw toHttpException(err);
    } finally {
      timingOf(c).add('origin', performance.now() - start);
    }
  });

  app.onError((err) => (err instanceof HTTPException ? err.getResponse() : errorResponse(err)));
  return app;
}

/**
 * The headers that carry an authenticated identity: the six `X-Auth-*`
 * values and, when enabled, the signed `X-Auth-Assertion`.
 */
async function identityFor(services: EdgeAuthServices, session: AuthSession): Promise<[string, string][]> {
  const headers = identityHeaders(session);
  if (services.assertion) headers.push([ASSERTION_HEADER, await services.assertion.sign(session)]);
  return headers;
}

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
