import type { Context, Env as HonoEnv, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { TEXTS } from '../config/defaults';
import { AuthError } from '../errors';
import { errorResponse } from '../http/errors';
import type { Served, TouchDecision } from '../session/authenticator';
import type { AuthSession, Credential } from '../session/types';
import type { CredentialReader } from '../token/credential';
import type { Claims } from '../token/verifier';
import { type Core, coreOf, resolve } from './core';
import type { AppEnv, EdgeAuthOptions } from './options';
import { ServerTiming } from './server-timing';

/** What `edgeAuth()` puts on the context, under names no other library uses. */
export interface EdgeAuthVariables {
  /** The authenticated user and session, and the verified token's claims. */
  edgeAuth: { session: AuthSession; claims: Claims };
  /** How the session was served, what was done about `last_login`, and each stage's milliseconds. */
  edgeAuthTrace: EdgeAuthTrace;
}

export interface EdgeAuthTrace {
  served?: Served;
  touch?: TouchDecision;
  /** Milliseconds per stage: `token`, `cache`, `db` (those that ran). */
  durations: Record<string, number>;
}

/**
 * Hono middleware: verifies the token, authenticates the session and sets
 * `c.get('edgeAuth')`. Failures become an `HTTPException` carrying
 * edge-auth's response (401 with `WWW-Authenticate`, 403, or 503 with
 * `Retry-After`), so any app's error handling answers them as they are.
 * Background work (cache write-backs, the touch) goes to `waitUntil`.
 *
 * @example
 * import { createUpstashSessionCache } from 'edge-auth/upstash';
 * import { createNeonSessionStore } from 'edge-auth/neon';
 * app.use('/api/*', edgeAuth({
 *   keys: (c) => ({ secret: c.env.JWT_SECRET }),
 *   cache: createUpstashSessionCache({ redis, prefix: 'edge-auth:' }),
 *   store: createNeonSessionStore({ sql, timeoutMs: 3000 }),
 * }));
 * app.get('/api/me', (c) => c.json(c.get('edgeAuth').session.user));
 */
export function edgeAuth<E extends HonoEnv = AppEnv>(
  options: EdgeAuthOptions<E> | ((c: Context<E>) => EdgeAuthOptions<E>),
): MiddlewareHandler<E> {
  // Options given as values are validated now: a bad one fails when the app is built.
  const fixed = typeof options === 'function' ? undefined : coreOf(options);
  return async (c, next) => {
    const opts = (typeof options === 'function'
      ? options(c)
      : options) as unknown as EdgeAuthOptions<HonoEnv>;
    const timing = opts.timing !== false;
    const trace: EdgeAuthTrace = { durations: {} };
    c.set('edgeAuthTrace', trace);
    let result: Awaited<ReturnType<Core['authenticator']['authenticate']>>;
    let claims: Credential;
    try {
      const core = (fixed ?? coreOf(opts))(c);
      const credential = core.credential(resolve(opts.cookie ?? TEXTS.SESSION_COOKIE, c));
      claims = await verifyRequestToken(c, credential, trace);
      result = await core.authenticator.authenticate(claims);
    } catch (err) {
      throw refusal(err, timing ? trace : undefined);
    }
    // An L1 hit leaves no background work: skip the runtime call (the hot path's cost counts).
    if (result.pending) waitUntil(c, result.pending);
    if (result.durations.cache !== undefined) trace.durations.cache = result.durations.cache;
    if (result.durations.db !== undefined) trace.durations.db = result.durations.db;
    trace.served = result.served;
    trace.touch = result.touch;
    if (!result.ok) throw refusal(result.error, timing ? trace : undefined);
    // The claims as a host app reads them: never the credential itself (a Django session key is a bearer secret).
    c.set('edgeAuth', {
      session: result.session,
      claims: { sub: result.session.user.id, sid: claims.sid, exp: claims.exp },
    });
    await next();
    if (timing) withMutableHeaders(c, (headers) => appendTiming(headers, trace));
  };
}

/** The request's credential, verified: the one place a credential is read and checked. */
export async function verifyRequestToken(
  c: Context,
  credential: CredentialReader,
  trace?: EdgeAuthTrace,
): Promise<Credential> {
  const token = credential.extract(c.req.raw.headers);
  if (token === undefined) throw new AuthError('missing_token', 'no session token was sent');
  const start = performance.now();
  try {
    return await credential.verify(token);
  } finally {
    if (trace) trace.durations.token = performance.now() - start;
  }
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
  return refusal(err, undefined);
}

function refusal(err: unknown, trace: EdgeAuthTrace | undefined): HTTPException {
  if (err instanceof HTTPException) return err;
  const res = errorResponse(err);
  if (trace) appendTiming(res.headers, trace);
  return new HTTPException(res.status as 401 | 403 | 500 | 502 | 503, { res, cause: err });
}

function appendTiming(headers: Headers, trace: EdgeAuthTrace): void {
  const value = serverTiming(trace);
  if (value) headers.append('Server-Timing', value);
}

function serverTiming(trace: EdgeAuthTrace): string {
  const timing = new ServerTiming();
  for (const [stage, ms] of Object.entries(trace.durations)) timing.add(stage, ms);
  if (trace.served) timing.note('cache', trace.served);
  return timing.header();
}

/** Changes the answer's headers, copying an answer whose headers are immutable (one from `fetch`). */
function withMutableHeaders(c: Context, change: (headers: Headers) => void): void {
  try {
    change(c.res.headers);
  } catch {
    c.res = new Response(c.res.body, c.res);
    change(c.res.headers);
  }
}
