import type { Exchange } from '../exchange';
import type { WorldUser } from '../world';
import { type AssertionClaims, type CheckContext, cgi } from './context';
import { expectedIdentity } from './identity-values';
import type { Binding } from './site';
import { authenticClaims, tokenCandidates } from './tokens';

/** Every assertion lives this long (`ASSERTION_TTL_SECONDS`' default). */
export const ASSERTION_TTL_SECONDS = 30;

const EDGE_IDENTITY_NAMES = new Set([
  'x-auth-user-id',
  'x-auth-session-id',
  'x-auth-username',
  'x-auth-email',
  'x-auth-is-staff',
  'x-auth-is-superuser',
  'x-auth-assertion',
]);

/** A session a token in the request really authenticates, and what the world entitles it to. */
export interface Entitlement {
  sub: string;
  sid: string;
  kind: 'live' | 'grace';
  user: WorldUser;
}

/**
 * The sessions the request's tokens really authenticate.
 *
 * @example
 * entitlements(ex, ctx) // [{ sub: 'alice', sid: 's-alice-0', kind: 'live', user }]
 */
export function entitlements(ex: Exchange, ctx: CheckContext): Entitlement[] {
  const out: Entitlement[] = [];
  for (const candidate of tokenCandidates(ex.sent)) {
    const claims = authenticClaims(candidate, ctx.secret, {
      ...(ctx.issuer === undefined ? {} : { issuer: ctx.issuer }),
      ...(ctx.audience === undefined ? {} : { audience: ctx.audience }),
    });
    if (!claims) continue;
    const verdict = ctx.world.judge(claims.sub, claims.sid);
    if (verdict.kind !== 'none') out.push({ ...claims, kind: verdict.kind, user: verdict.user });
  }
  return out;
}

/**
 * Checks a set of identity headers (at the origin or on a `/auth/verify`
 * answer): exactly edge-auth's names, the values of a session a token in the
 * request really authenticates and, where `bindings` names the request it
 * is for, a genuine assertion of that session bound to it (none where
 * `bindings` is `undefined`).
 *
 * @example
 * await checkIdentity('origin request 0', record.headers, ex, ctx, forwardBinding(ex, ctx)) // []
 */
export async function checkIdentity(
  where: string,
  headers: [string, string][],
  ex: Exchange,
  ctx: CheckContext,
  bindings: Binding[] | undefined,
): Promise<string[]> {
  const problems: string[] = [];
  const identity = headers.filter(([name]) => cgi(name).startsWith('x-auth-'));
  for (const [name] of identity) {
    if (name.toLowerCase() !== cgi(name) || !EDGE_IDENTITY_NAMES.has(name.toLowerCase())) {
      problems.push(`${where}: client-spelled identity header ${JSON.stringify(name)} got through`);
    }
  }
  const got = new Map<string, string>();
  for (const [name, value] of identity) {
    const key = name.toLowerCase();
    if (got.has(key)) problems.push(`${where}: identity header ${key} sent twice`);
    got.set(key, value);
  }
  const assertion = got.get('x-auth-assertion');
  got.delete('x-auth-assertion');
  const matches = entitlements(ex, ctx).filter(({ user, sid }) => {
    const expected = expectedIdentity(user, sid);
    return (
      expected !== undefined &&
      expected.size === got.size &&
      [...expected].every(([name, value]) => got.get(name) === value)
    );
  });
  if (matches.length === 0) {
    problems.push(
      `${where}: identity ${JSON.stringify(Object.fromEntries(got))} is not that of a live session a token in the request authenticates`,
    );
    return problems;
  }
  if (!ctx.verifyAssertion || !bindings) {
    if (assertion !== undefined) {
      problems.push(
        `${where}: an X-Auth-Assertion where none may be (${ctx.verifyAssertion ? 'no request to bind it to' : 'no key configured'})`,
      );
    }
    return problems;
  }
  if (assertion === undefined) return [...problems, `${where}: identity without X-Auth-Assertion`];
  let claims: AssertionClaims;
  try {
    claims = await ctx.verifyAssertion(assertion);
  } catch (err) {
    return [...problems, `${where}: X-Auth-Assertion does not verify: ${String(err)}`];
  }
  if (!matches.some(({ sub, sid }) => claims.sub === sub && claims.sid === sid)) {
    problems.push(`${where}: X-Auth-Assertion names ${JSON.stringify([claims.sub, claims.sid])}`);
  }
  if (!bindings.some((b) => claims.htm === b.htm && claims.htu === b.htu)) {
    problems.push(
      `${where}: X-Auth-Assertion is bound to ${JSON.stringify([claims.htm, claims.htu])}, not ${JSON.stringify(bindings.map((b) => [b.htm, b.htu]))}`,
    );
  }
  if (Number(claims.exp) - Number(claims.iat) !== ASSERTION_TTL_SECONDS) {
    problems.push(`${where}: X-Auth-Assertion lives ${Number(claims.exp) - Number(claims.iat)} s, not 30 s`);
  }
  return problems;
}
