import type { AuthSession } from '../session/types';

export const MAX_HEADER_VALUE_BYTES = 256;

/**
 * The identity headers an origin (or a forward-auth proxy) receives.
 * Absent values are omitted, never sent as an empty or "null" string.
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
    const value = raw === null ? '' : headerValue(raw);
    if (value !== '') out.push([name, value]);
  }
  return out;
}

/** Removes every client-supplied `X-Auth-*` header: only edge-auth may set them. */
export function stripIdentityHeaders(headers: Headers): void {
  const names: string[] = [];
  headers.forEach((_, name) => {
    if (name.toLowerCase().startsWith('x-auth-')) names.push(name);
  });
  for (const name of names) headers.delete(name);
}

/**
 * Makes a stored value safe as a header value: control characters removed,
 * non-ASCII percent-encoded as UTF-8 (header values are bytes, not text), and
 * cut to at most 256 bytes without splitting an escape.
 */
export function headerValue(raw: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const clean = raw.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  let out = '';
  for (const char of clean) {
    const piece = char.charCodeAt(0) < 0x80 ? char : percentEncode(char);
    if (out.length + piece.length > MAX_HEADER_VALUE_BYTES) break;
    out += piece;
  }
  return out;
}

function percentEncode(char: string): string {
  try {
    return encodeURIComponent(char);
  } catch {
    return '%EF%BF%BD'; // a lone surrogate: U+FFFD
  }
}
