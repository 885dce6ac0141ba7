import type { Exchange } from '../exchange';
import { admissionsOf, preflightVerdict } from './admission';
import { answerHeaderProblems, privateAnswerProblems } from './answers';
import { clientHeaderProblems, forwardingProblems } from './client-headers';
import { type CheckContext, cgi, endpointOf, inAuthNamespace, requestPathname } from './context';
import { checkIdentity, entitlements } from './identity';
import { expectedIdentity } from './identity-values';
import { forwardBinding, forwardedBinding, logoutVerdict } from './site';
import { tokenCandidates } from './tokens';

type Json = Record<string, unknown> | undefined;

/**
 * Every invariant on one exchange, written from the README and issue #13
 * (not from src/); returns the violations (empty when it holds):
 *
 * 1. no 5xx, except a 503 (with `Retry-After`) during an outage the test
 *    injected, and `500 identity_unrepresentable` for a real session of a
 *    user whose stored identity is too long to forward;
 * 2. the origin never receives an identity that was not verified: every
 *    request it receives carries either exactly the identity of a live
 *    session a token in the request really authenticates (and an assertion
 *    bound to that request), or none on a path that cannot be read outside a
 *    public prefix, or none as a real CORS preflight; the same holds for
 *    `/auth/verify` headers, `/auth/session` bodies and logouts;
 * 3. of the client's headers only what the trust boundary lets through
 *    reaches the origin (see `clientHeaderProblems`), and an authenticated
 *    answer is private to its user;
 * 4. a cookie logout from another site is refused;
 * 5. answers never carry control characters in headers, and every 401
 *    carries `WWW-Authenticate: Bearer realm="edge-auth"…`; log lines name a
 *    logout `logout` and hold no token.
 *
 * @example
 * const problems = await checkExchange(exchange, context); // [] when every invariant holds
 */
export async function checkExchange(ex: Exchange, ctx: CheckContext): Promise<string[]> {
  const json = parseJson(ex.response.body);
  return [
    ...statusProblems(ex, ctx, json),
    ...(await originProblems(ex, ctx)),
    ...(await edgeAnswerProblems(ex, ctx, json)),
    ...answerHeaderProblems(ex),
    ...logProblems(ex),
  ];
}

function parseJson(body: string): Json {
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** 1. No 5xx but an injected outage's 503 and an unrepresentable identity's 500. */
function statusProblems(ex: Exchange, ctx: CheckContext, json: Json): string[] {
  const { status, body } = ex.response;
  const outage = ex.request.outage;
  const head = ex.request.method.toUpperCase() === 'HEAD';
  if (status === 503) {
    const problems: string[] = [];
    const databaseDown = outage === 'database' || outage === 'both';
    // /readyz answers 503 for Redis alone (a HEAD of it has no body); nothing else may.
    const readiness = json?.status === 'not_ready' || (body === '' && head);
    if (!databaseDown && !(outage === 'redis' && readiness)) {
      problems.push(`503 without a database outage (outage: ${outage}): ${body.slice(0, 200)}`);
    }
    if (!new Headers(ex.response.headers).has('retry-after')) problems.push('503 without Retry-After');
    return problems;
  }
  if (status === 500 && (json?.error === 'identity_unrepresentable' || (body === '' && head))) {
    // A HEAD answer has no body: the cause is then judged from the request alone.
    const owners = entitlements(ex, ctx).filter(({ user, sid }) => !expectedIdentity(user, sid));
    return owners.length === 0
      ? ['500 identity_unrepresentable without a session of an over-long identity']
      : [];
  }
  return status >= 500 ? [`${status}: ${body.slice(0, 200)}`] : [];
}

/** 2 + 3. What the origin received, and what its answer became. */
async function originProblems(ex: Exchange, ctx: CheckContext): Promise<string[]> {
  const problems: string[] = [];
  if (ex.origin.length > 1) problems.push(`the origin received ${ex.origin.length} requests for one`);
  if (ctx.config.mode === 'forward-auth' && ex.origin.length > 0) {
    problems.push('a request reached an origin in forward-auth mode (no ORIGIN_URL)');
  }
  const pathname = requestPathname(ex, ctx);
  if (
    preflightVerdict(ex, ctx) === 'pass' &&
    ctx.config.mode === 'proxy' &&
    endpointOf(pathname) === undefined &&
    ex.origin.length === 0
  ) {
    problems.push(`a real CORS preflight was not passed to the origin (${ex.response.status})`);
  }
  for (const [i, record] of ex.origin.entries()) {
    const where = `origin request ${i}`;
    const admissions = admissionsOf(record, ex, ctx);
    if (admissions.length === 0) {
      problems.push(
        `${where}: forwarded without identity on a non-public path ${JSON.stringify(record.path)}`,
      );
    } else {
      const verdicts = admissions.map((admission) => clientHeaderProblems(record, admission, ex, ctx));
      if (!verdicts.some((v) => v.length === 0)) {
        problems.push(...(verdicts[0] ?? []).map((p) => `${where} (${admissions[0]}): ${p}`));
      }
    }
    if (admissions[0] === 'authenticated') {
      problems.push(...(await checkIdentity(where, record.headers, ex, ctx, forwardBinding(ex, ctx))));
      problems.push(...privateAnswerProblems(ex, inAuthNamespace(pathname)));
    }
    problems.push(...forwardingProblems(record, ex, ctx).map((p) => `${where}: ${p}`));
  }
  return problems;
}

/** 2 + 4. Identity handed back to a forward-auth proxy, a session answer, a logout. */
async function edgeAnswerProblems(ex: Exchange, ctx: CheckContext, json: Json): Promise<string[]> {
  const problems: string[] = [];
  const { status, headers } = ex.response;
  if (headers.some(([name]) => cgi(name).startsWith('x-auth-'))) {
    // In reverse-proxy mode only forwarded requests carry an assertion.
    const verify = endpointOf(requestPathname(ex, ctx)) === '/auth/verify';
    const bindings = ctx.config.mode === 'forward-auth' && verify ? forwardedBinding(ex, ctx) : undefined;
    problems.push(...(await checkIdentity('answer headers', headers, ex, ctx, bindings)));
  }
  const answered = json as { user?: { id?: unknown }; session?: { id?: unknown } } | undefined;
  if (status === 200 && ex.origin.length === 0 && answered?.user && answered.session) {
    const ok = entitlements(ex, ctx).some(
      ({ sub, sid }) => answered.user?.id === sub && answered.session?.id === sid,
    );
    if (!ok) problems.push(`session answer for ${JSON.stringify([answered.user.id, answered.session.id])}`);
  }
  for (const sid of ex.revoked) {
    if (!entitlements(ex, ctx).some((e) => e.sid === sid)) {
      problems.push(`session ${JSON.stringify(sid)} revoked by a request without its token`);
    }
  }
  const logout = logoutVerdict(ex, ctx);
  if (logout === 'refuse') {
    if (status !== 403 || json?.error !== 'cross_site_request') {
      problems.push(`a cross-site cookie logout answered ${status} ${JSON.stringify(json?.error)}, not 403`);
    }
    if (ex.revoked.length > 0) problems.push('a cross-site cookie logout revoked its session');
  } else if (logout === 'allow' && status === 403) {
    problems.push('a same-site, headerless or Bearer logout was refused as cross-site');
  }
  return problems;
}

/** 5. The request's log line, where the layer keeps it apart: its outcome, and no token in it. */
function logProblems(ex: Exchange): string[] {
  if (!ex.logs) return [];
  const problems: string[] = [];
  const lines = ex.logs.map((line) => parseJson(line)).filter((line) => line?.msg === 'request');
  const line = lines.at(-1);
  if (!line) return ['no request log line'];
  if (line.status !== ex.response.status) problems.push(`log line status ${String(line.status)}`);
  if (line.route === 'logout' && ex.response.status === 204 && line.outcome !== 'logout') {
    problems.push(`a logout logged as ${JSON.stringify(line.outcome)}, not "logout"`);
  }
  const tokens = tokenCandidates(ex.sent).filter((t) => t.length >= 24);
  if (ex.logs.some((text) => tokens.some((t) => text.includes(t)))) problems.push('a token in a log line');
  return problems;
}
