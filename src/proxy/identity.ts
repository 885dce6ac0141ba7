import { IdentityError } from '../errors';
import type { AuthSession } from '../session/types';

/** Longest encoded identity value edge-auth forwards; longer ones fail closed. */
export const MAX_HEADER_VALUE_BYTES = 1024;

/**
 * The identity headers an origin (or a forward-auth proxy) receives, values
 * encoded by `encodeHeaderValue`. Absent values are omitted, never sent as
 * an empty or "null" string. Throws `IdentityError` (the request is refused)
 * when a value is too long to forward whole.
 *
 * @example
 * identityHeaders(session) // [['X-Auth-User-Id', '42'], ['X-Auth-Session-Id', 's1'], …]
 */
export function identityHeaders(auth: AuthSession): [string, string][] {
  const { user, session } = auth;
  const pairs: [string, string | null][] = [
    ['X-Auth-User-Id', user.id],
    ['X-Auth-Session-Id', session.id],
    ['X-Auth-Username', user.username],
    ['X-Auth-Email', user.email],
    ['X-Auth-Is-Staff', String(user.isStaff)],
    ['X-Auth-Is-Superuser', String(user.isSuperuser)],
  ];
  const out: [string, string][] = [];
  for (const [name, raw] of pairs) {
    if (raw === null) continue;
    const value = encodeHeaderValue(raw);
    if (value === undefined) throw new IdentityError(name);
    out.push([name, value]);
  }
  return out;
}

/**
 * Encodes a stored identity value for a header, injectively: every UTF-8
 * byte outside `A–Z a–z 0–9 - _ . ! ~ * ' ( ) @` is percent-encoded, `%`
 * included, and nothing is dropped, trimmed or cut, so two distinct values
 * never give the same header. Origins decode it with `decodeURIComponent`
 * (Python: `urllib.parse.unquote`). `undefined` when the result would exceed
 * `MAX_HEADER_VALUE_BYTES` or the value is not well-formed Unicode.
 *
 * @example
 * encodeHeaderValue('rémy 50%') // 'r%C3%A9my%2050%25'
 */
export function encodeHeaderValue(raw: string): string | undefined {
  let encoded: string;
  try {
    // '@' is kept readable (emails); it is never produced by encoding, so this stays injective.
    encoded = encodeURIComponent(raw).replaceAll('%40', '@');
  } catch {
    return undefined; // a lone surrogate has no UTF-8 form: refuse rather than guess
  }
  return encoded.length > MAX_HEADER_VALUE_BYTES ? undefined : encoded;
}
