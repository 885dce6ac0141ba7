import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Env } from '../env';
import { type EdgeAuthServices, servicesFromEnv } from '../services';
import type { Defer } from '../session/authenticator';
import type { AuthSession } from '../session/types';
import { extractToken } from '../token/extract';
import type { Claims } from '../token/verifier';
import { AuthError, errorResponse } from './errors';
import { ServerTiming } from './server-timing';

export interface EdgeAuthVariables {
  session: AuthSession;
  claims: Claims;
  timing: ServerTiming;
}

export type EdgeAuthEnv = { Bindings: Env; Variables: EdgeAuthVariables };

export interface EdgeAuthOptions {
  /** Where the services come from; default: built once per isolate from `c.env`. */
  services?: EdgeAuthServices | ((c: Context<EdgeAuthEnv>) => EdgeAuthServices);
}

/**
 * Hono middleware: authenticates the request and sets `c.get('session')`.
 * Failures become an `HTTPException` carrying edge-auth's response (401 with
 * `WWW-Authenticate`, or 503 with `Retry-After`), so any app's error handling
 * answers them unchanged.
 *
 * @example
 * app.use('/api/*', edgeAuth());
 * app.get('/api/me', (c) => c.json(c.get('session').user));
 */
export function edgeAuth(options: EdgeAuthOptions = {}): MiddlewareHandler<EdgeAuthEnv> {
  const resolve = servicesResolver(options);
  return async (c, next) => {
    const { claims, session } = await authenticateRequest(c, resolve(c));
    c.set('claims', claims);
    c.set('session', session);
    await next();
  };
}

/** Resolves the services for a request, per the options. */
export function servicesResolver(options: EdgeAuthOptions): (c: Context<EdgeAuthEnv>) => EdgeAuthServices {
  const { services } = options;
  if (typeof services === 'function') return services;
  if (services) return () => services;
  return (c) => guard(() => servicesFromEnv(c.env));
}

/** Token → claims → session, with each stage timed. */
export async function authenticateRequest(
  c: Context<EdgeAuthEnv>,
  services: EdgeAuthServices,
): Promise<{ claims: Claims; session: AuthSession }> {
  const timing = timingOf(c);
  return guardAsync(async () => {
    const claims = await verifyRequestToken(c, services);
    const session = await services.authenticator.authenticate(claims, deferFor(c), timing);
    return { claims, session };
  });
}

/** The request's token, verified: the one place a credential is read and checked. */
export async function verifyRequestToken(
  c: Context<EdgeAuthEnv>,
  services: EdgeAuthServices,
): Promise<Claims> {
  const token = extractToken(c.req.raw.headers, services.config.token.cookieName);
  if (token === undefined) throw new AuthError('missing_token', 'no session token was sent');
  return timingOf(c).measure('token', () => services.verifier.verify(token));
}

/** The request's Server-Timing collector, created on first use. */
export function timingOf(c: Context<EdgeAuthEnv>): ServerTiming {
  let timing = c.get('timing');
  if (!timing) {
    timing = new ServerTiming();
    c.set('timing', timing);
  }
  return timing;
}

/** `ctx.waitUntil` when there is an execution context (always on Workers). */
export function deferFor(c: Context): Defer {
  return (work) => {
    try {
      c.executionCtx.waitUntil(work);
    } catch {
      // No execution context (plain app.request in tests): the work still runs.
    }
  };
}

function guard<T>(work: () => T): T {
  try {
    return work();
  } catch (err) {
    throw toHttpException(err);
  }
}

/** Runs `work`, turning edge-auth's errors into `HTTPException`s. */
export async function guardAsync<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw toHttpException(err);
  }
}

/** Wraps edge-auth's errors in an HTTPException that carries the finished response. */
export function toHttpException(err: unknown): HTTPException {
  if (err instanceof HTTPException) return err;
  const res = errorResponse(err);
  return new HTTPException(res.status as 401 | 500 | 502 | 503, { res, cause: err });
}
