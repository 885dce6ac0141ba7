import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ServerTiming } from '../hono/server-timing';
import type { WorkerEnv } from './env';

/** The fields of the one log line written per request. Never a token, a secret or a URL. */
export interface RequestLogLine {
  msg: 'request';
  method: string;
  /** Which endpoint answered; the path itself is not logged (origins put secrets in paths). */
  route: string;
  status: number;
  outcome: 'authenticated' | 'public' | 'unauthenticated' | 'unavailable' | 'refused' | 'logout' | 'ok';
  served?: string;
  touch?: string;
  /** The error code of an error answer (`invalid_token`, `dependency_unavailable`, …). */
  error?: string;
  /** Milliseconds per stage, as in `Server-Timing`. */
  durations: Record<string, number>;
}

/**
 * Times the request, adds `Server-Timing` to the answer and writes one
 * structured JSON log line per request (`log`, default `console.log`).
 *
 * @example
 * app.use('*', observe({ route: (c) => 'proxy' }));
 */
export function observe(options: {
  route: (c: Context) => string;
  log?: (line: string) => void;
}): MiddlewareHandler<WorkerEnv> {
  const log = options.log ?? console.log;
  return async (c, next) => {
    const start = performance.now();
    await next();
    const trace = c.get('edgeAuthTrace');
    // The middleware's stages first (token, cache, db), then the Worker's (origin), then the total.
    const timing = new ServerTiming();
    for (const [stage, ms] of Object.entries(trace?.durations ?? {})) timing.add(stage, ms);
    if (trace?.served) timing.note('cache', trace.served);
    timing.append(c.get('edgeAuthTiming'));
    timing.add('total', performance.now() - start);
    c.res.headers.append('Server-Timing', timing.header());
    const route = options.route(c);
    const line: RequestLogLine = {
      msg: 'request',
      method: c.req.method,
      route,
      status: c.res.status,
      outcome: outcomeOf(c, route, c.res.status),
      ...(trace?.served ? { served: trace.served, touch: trace.touch } : {}),
      ...(c.error ? { error: errorCode(c.error) } : {}),
      durations: timing.durations(),
    };
    log(JSON.stringify(line));
    count(c, line);
  };
}

/**
 * One Workers Analytics Engine data point per request when the `ANALYTICS`
 * binding exists. Layout (also in README): index = route; blobs = outcome,
 * served, touch, error, method; doubles = status, total, token, cache, db,
 * origin (ms). Counting must never fail a request.
 */
function count(c: Context, line: RequestLogLine): void {
  const dataset = (c.env as { ANALYTICS?: AnalyticsEngineDataset } | undefined)?.ANALYTICS;
  if (!dataset) return;
  const d = line.durations;
  try {
    dataset.writeDataPoint({
      indexes: [line.route],
      blobs: [line.outcome, line.served ?? '', line.touch ?? '', line.error ?? '', line.method],
      doubles: [line.status, d.total ?? 0, d.token ?? 0, d.cache ?? 0, d.db ?? 0, d.origin ?? 0],
    });
  } catch {
    // A full or misconfigured dataset loses a data point, never a request.
  }
}

function outcomeOf(c: Context, route: string, status: number): RequestLogLine['outcome'] {
  if (route === 'logout' && status === 204) return 'logout';
  if (status === 401) return 'unauthenticated';
  if (status === 503) return 'unavailable';
  if (status >= 400 && c.error) return 'refused';
  if (c.get('edgeAuth')) return 'authenticated';
  return c.get('edgeAuthTrace') ? 'ok' : 'public';
}

/** The Worker's own stages of this request (the origin), created on first use. */
export function timingOf(c: Context<WorkerEnv>): ServerTiming {
  let timing = c.get('edgeAuthTiming');
  if (!timing) {
    timing = new ServerTiming();
    c.set('edgeAuthTiming', timing);
  }
  return timing;
}

function errorCode(err: Error): string {
  const source = err instanceof HTTPException && err.cause instanceof Error ? err.cause : err;
  const code = (source as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'internal_error';
}
