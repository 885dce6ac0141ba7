import type { Exchange, OriginRecord } from '../exchange';
import { type CheckContext, cgi, sentHeader } from './context';
import { mayBePublic } from './paths';

/** Why a request may reach the origin. */
export type Admission = 'authenticated' | 'public' | 'preflight';

/**
 * Whether edge-auth must pass the request as a CORS preflight
 * (`CORS_PREFLIGHT=pass`): an OPTIONS with `Origin` and
 * `Access-Control-Request-Method` and no body — no `Transfer-Encoding`, and
 * `Content-Length` all zeros or absent with no body. `either` for an empty
 * body without `Content-Length`: an HTTP client sends none on the wire, while
 * in memory the app is handed an empty stream.
 *
 * @example
 * preflightVerdict(ex, ctx) // 'pass' for OPTIONS + Origin + ACRM, no body, with CORS_PREFLIGHT=pass
 */
export function preflightVerdict(ex: Exchange, ctx: CheckContext): 'pass' | 'authenticate' | 'either' {
  if (!ctx.config.corsPreflightPass || ex.method !== 'OPTIONS') return 'authenticate';
  if (!ex.sent.has('origin') || !ex.sent.has('access-control-request-method')) return 'authenticate';
  if (ex.sent.has('transfer-encoding')) return 'authenticate';
  const length = sentHeader(ex, ctx, 'content-length');
  if (length !== null) return /^\s*0+\s*$/.test(length) ? 'pass' : 'authenticate';
  if (ex.request.body === null) return 'pass';
  return ex.request.body === '' ? 'either' : 'authenticate';
}

/**
 * The admissions under which `record` may have reached the origin: with
 * identity, as a passed preflight, or on a public path (none: it must not
 * have reached the origin without identity).
 *
 * @example
 * admissionsOf(record, ex, ctx) // ['public'] for /public/app.js without identity
 */
export function admissionsOf(record: OriginRecord, ex: Exchange, ctx: CheckContext): Admission[] {
  if (record.headers.some(([name]) => cgi(name).startsWith('x-auth-'))) return ['authenticated'];
  const preflight = preflightVerdict(ex, ctx);
  // A passed preflight is one even on a public path: its stricter rules apply.
  if (preflight === 'pass') return ['preflight'];
  return [
    ...(preflight === 'either' ? (['preflight'] as const) : []),
    ...(mayBePublic(ctx.publicPaths, record.path) ? (['public'] as const) : []),
  ];
}
