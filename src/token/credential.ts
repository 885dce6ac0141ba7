import type { Credential } from '../session/types';
import { extractToken } from './extract';
import type { TokenVerifier } from './verifier';

/**
 * How a request proves a session: where the credential is found, how it is
 * verified, and whose it is. edge-auth's own (its JWT) is removed before the
 * origin; another app's (Django's session cookie) is that app's and is
 * forwarded as sent.
 */
export interface CredentialReader {
  /** The credential a request carries, `undefined` when none; throws `AuthError` for a malformed one. */
  extract(headers: Headers): string | undefined;
  /** What it proves; throws `AuthError` (401) or `DependencyError` (503). */
  verify(credential: string): Promise<Credential>;
  /** `true` for edge-auth's own credential. */
  readonly ownedByEdgeAuth: boolean;
  /** The cookie it is read from, for the credential stripper. */
  readonly cookie: string;
}

/**
 * edge-auth's session JWT: `Authorization: Bearer` first, else the cookie.
 *
 * @example
 * const credential = jwtCredential(createTokenVerifier(settings), 'session');
 */
export function jwtCredential(verifier: TokenVerifier, cookie: string): CredentialReader {
  return {
    extract: (headers) => extractToken(headers, cookie),
    verify: (token) => verifier.verify(token),
    ownedByEdgeAuth: true,
    cookie,
  };
}
