import { AuthError } from '../errors';

/**
 * Finds the session token: `Authorization: Bearer <jwt>` first, else the
 * session cookie. Other Authorization schemes (e.g. Basic for the origin) are
 * left alone and the cookie is used. Returns `undefined` when neither is sent.
 *
 * @example
 * extractToken(request.headers, 'session') // 'eyJ…' | undefined
 */
export function extractToken(headers: Headers, cookieName: string): string | undefined {
  const authorization = headers.get('Authorization');
  if (authorization !== null) {
    const match = /^\s*bearer(?:\s+(.*))?$/i.exec(authorization);
    if (match) {
      const token = match[1]?.trim();
      if (!token || /\s/.test(token)) throw new AuthError('invalid_token', 'malformed bearer credential');
      return token;
    }
  }
  return readCookie(headers.get('Cookie'), cookieName);
}

function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (value === '') return undefined;
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}
