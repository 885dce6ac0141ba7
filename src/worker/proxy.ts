import type { Context, MiddlewareHandler } from 'hono';
import { forward } from '../proxy/forward';
import type { Admission } from '../proxy/request-headers';
import type { WorkerEnv } from './env';
import { identityFor } from './identity';
import { timingOf } from './observe';
import type { WorkerServices } from './services';

type ServicesOf = (c: Context<WorkerEnv>) => WorkerServices;

/** Runs `auth` except on `PUBLIC_PATHS`, passed preflights, and without an origin (which answers 404). */
export function unlessPublic(
  services: ServicesOf,
  auth: MiddlewareHandler<WorkerEnv>,
): MiddlewareHandler<WorkerEnv> {
  return (c, next) => {
    const resolved = services(c);
    if (!resolved.config.origin.url || admissionOf(resolved, c) !== 'authenticated') return next();
    return auth(c, next);
  };
}

/**
 * The authenticating reverse proxy: forwards to `ORIGIN_URL` with the
 * identity (and, when enabled, an assertion bound to this request), or, for
 * public paths and passed preflights, without identity and credentials.
 */
export function proxyRoute(services: ServicesOf) {
  return async (c: Context<WorkerEnv>) => {
    const resolved = services(c);
    const origin = resolved.config.origin.url;
    if (!origin) return c.json({ error: 'not_found', message: 'no such endpoint' }, 404);
    const { origin: config, token } = resolved.config;
    const policy = {
      headersWithUnderscores: config.headersWithUnderscores,
      // Django's session cookie is Django's: its views (logout, CSRF, messages) need it.
      forwardCredentials: config.forwardCredentials || resolved.config.django !== undefined,
      cookieName: token.cookieName,
    };
    // Set by `auth`; unset when `unlessPublic` let the request through (decided once, there).
    const auth = c.get('edgeAuth') as WorkerEnv['Variables']['edgeAuth'] | undefined;
    const start = performance.now();
    try {
      if (!auth) return await forward(c.req.raw, origin, { admission: admissionOf(resolved, c), policy });
      const url = new URL(c.req.url);
      const binding = { method: c.req.method, url: `${url.origin}${url.pathname}` };
      const identity = await identityFor(auth.session, resolved.assertion, binding);
      return await forward(c.req.raw, origin, { identity, admission: 'authenticated', policy });
    } finally {
      timingOf(c).add('origin', performance.now() - start);
    }
  };
}

/**
 * Forwarded without authentication and without identity: public paths
 * (matched on the normalised pathname the origin receives), and with
 * `CORS_PREFLIGHT=pass` real CORS preflights (browsers send them without
 * credentials, so authenticating them would block every cross-origin call).
 */
function admissionOf(services: WorkerServices, c: Context): Admission {
  if (isPassedPreflight(services, c)) return 'preflight';
  // Without public paths there is nothing to match: the URL is not parsed at all.
  if (services.config.origin.publicPaths.length === 0) return 'authenticated';
  return services.isPublic(new URL(c.req.url).pathname) ? 'public' : 'authenticated';
}

/**
 * A real preflight: OPTIONS with `Origin` and `Access-Control-Request-Method`
 * and no body. A browser's preflight never has a body; an OPTIONS with one
 * could carry `_method=DELETE` to an origin that honours method overrides.
 */
function isPassedPreflight(services: WorkerServices, c: Context): boolean {
  if (services.config.origin.corsPreflight !== 'pass' || c.req.method !== 'OPTIONS') return false;
  const { headers, body } = c.req.raw;
  if (!headers.has('Origin') || !headers.has('Access-Control-Request-Method')) return false;
  if (headers.has('Transfer-Encoding')) return false;
  const length = headers.get('Content-Length');
  return length === null ? body === null : /^\s*0+\s*$/.test(length);
}
