import { ASSERTION_HEADER, type AssertionSigner, type RequestBinding } from '../assertion/signer';
import { identityHeaders } from '../proxy/identity';
import type { AuthSession } from '../session/types';

type IdentityHeaders = readonly (readonly [string, string])[];

/**
 * Encoded identity headers per session object: the L1 hands every request of
 * a session the same object, so its headers are encoded once per load.
 */
const encodedIdentities = new WeakMap<AuthSession, IdentityHeaders>();

/**
 * The headers that carry an authenticated identity: the six `X-Auth-*`
 * values and, when enabled and there is a request to bind it to, the signed
 * `X-Auth-Assertion`.
 *
 * @example
 * await identityFor(session, signer, { method: 'GET', url: 'https://app.example/me' })
 */
export async function identityFor(
  session: AuthSession,
  signer: AssertionSigner | undefined,
  binding: RequestBinding | undefined,
): Promise<IdentityHeaders> {
  let headers = encodedIdentities.get(session);
  if (!headers) {
    headers = identityHeaders(session);
    encodedIdentities.set(session, headers);
  }
  if (!signer || !binding) return headers;
  return [...headers, [ASSERTION_HEADER, await signer.sign(session, binding)]];
}

/**
 * The request a forward-auth proxy will forward, from the headers it sets
 * (`X-Forwarded-Method`, `-Uri`, `-Proto`, `-Host`): what a forward-auth
 * assertion is bound to. Without method and URI there is nothing to bind to,
 * and no assertion is handed out.
 *
 * @example
 * forwardedRequest(request) // { method: 'POST', url: 'https://app.example/cart' }
 */
export function forwardedRequest(request: Request): RequestBinding | undefined {
  const { headers } = request;
  const method = headers.get('X-Forwarded-Method')?.trim();
  const uri = headers.get('X-Forwarded-Uri')?.trim();
  if (!method || !/^[A-Za-z]+$/.test(method) || !uri?.startsWith('/')) return undefined;
  const own = new URL(request.url);
  const proto = headers.get('X-Forwarded-Proto')?.trim().toLowerCase() ?? own.protocol.slice(0, -1);
  const host = headers.get('X-Forwarded-Host')?.split(',')[0]?.trim() ?? headers.get('Host') ?? own.host;
  if (proto !== 'http' && proto !== 'https') return undefined;
  try {
    const url = new URL(`${proto}://${host}`);
    // Set as a path, never resolved as a reference: `//other.host/x` must not change the host.
    url.pathname = uri.split(/[?#]/)[0] ?? '/';
    return { method: method.toUpperCase(), url: `${url.origin}${url.pathname}` };
  } catch {
    return undefined;
  }
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
