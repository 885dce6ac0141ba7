import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Env } from '../env';
import { AuthError } from '../errors';
import { type EdgeAuthServices, servicesFromEnv } from '../services';
import { NOTHING_PENDING, type Served, type TouchDecision } from '../session/authenticator';
import type { AuthSession } from '../session/types';
import { extractToken } from '../token/extract';
import type { Claims } from '../token/verifier';
import { errorResponse } from './errors';
import { ServerTiming } from './server-timing';

/** What `edgeAuth()` puts on the context. */
export interface EdgeAuthVariables {
  /** The authenticated user and session. */
  session: AuthSession;
  /** The verified token's claims. */
  claims: Claims;
  /** How the session was served and what was done about `last_login`. */
  authTrace: { served: Served; touch: TouchDecision };
  /** This request's `Server-Timing` stages. */
  timing: ServerTiming;
}

declare module 'hono' {
  interface ContextVariableMap extends EdgeAuthVariables {}
}

export type EdgeAuthEnv = { Bindings: Env; Variables: EdgeAuthVariables };

export interface EdgeAuthOptions {
  /** Where the services come from; default: built once per isolate from `c.env`. */
  services?: EdgeAuthServices | ((c: Context) => EdgeAuthServices);
  /** Where `createApp` writes its one JSON line per request; default `console.log`. */
  log?: (line: string) => void;
}

/**
 * Hono middleware: verifies the token, authenticates the session and sets
 * `c.get('session')` and `c.get('claims')`. Failures become an
 * `HTTPException` carrying edge-auth's response (401 with `WWW-Authenticate`,
 * or 503 with `Retry-After`), so any app's error handling answers them as they
 * are. Background work (cache write-backs, the touch) goes to `waitUntil`.
 *
 * @example
 * app.use('/api/*', edgeAuth());
 * app.get('/api/me', (c) => c.json(c.get('session').user));
 */
export function edgeAuth(options: EdgeAuthOptions = {}): MiddlewareHandler {
  const resolve = servicesResolver(options);
  return async (c, next) => {
    const services = resolve(c);
    const claims = await verifyRequestToken(c, services);
    const result = await services.authenticator.authenticate(claims);
    // An L1 hit leaves no background work: skip the runtime call (the hot path's cost counts).
    if (result.pending !== NOTHING_PENDING) waitUntil(c, result.pending);
    const timing = timingOf(c);
    if (result.durations.cache !== undefined) timing.add('cache', result.durations.cache);
    timing.note('cache', result.served);
    if (result.durations.db !== undefined) timing.add('db', result.durations.db);
    c.set('authTrace', { served: result.served, touch: result.touch });
    if (!result.ok) throw toHttpException(result.error);
    c.set('claims', claims);
    c.set('session', result.session);
    await next();
  };
}

/** Resolves the services for a request, per the options. */
export function servicesResolver(options: EdgeAuthOptions): (c: Context) => EdgeAuthServices {
  const { services } = options;
  if (typeof services === 'function') return services;
  if (services) return () => services;
  return (c) => {
    try {
      return servicesFromEnv(c.env as Env);
    } catch (err) {
      throw toHttpException(err);
    }
  };
}

/** The request's token, verified: the one place a credential is read and checked. */
export async function verifyRequestToken(c: Context, services: EdgeAuthServices): Promise<Claims> {
  try {
    const token = extractToken(c.req.raw.headers, services.config.token.cookieName);
    if (token === undefined) throw new AuthError('missing_token', 'no session token was sent');
    const start = performance.now();
    try {
      return await services.verifier.verify(token);
    } finally {
      timingOf(c).add('token', performance.now() - start);
    }
  } catch (err) {
    throw toHttpException(err);
  }
}

/** The request's Server-Timing collector, created on first use. */
export function timingOf(c: Context): ServerTiming {
  let timing = c.get('timing');
  if (!timing) {
    timing = new ServerTiming();
    c.set('timing', timing);
  }
  return timing;
}

/** `ctx.waitUntil` when there is an execution context (always on Workers). */
export function waitUntil(c: Context, work: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    // No execution context (plain app.request in tests): the work still runs.
  }
}

/** Wraps edge-auth's errors in an HTTPException that carries the finished response. */
export function toHttpException(err: unknown): HTTPException {
  if (err instanceof HTTPException) return err;
  const res = errorResponse(err);
  return new HTTPException(res.status as 401 | 500 | 502 | 503, { res, cause: err });
}
