import { AuthError } from '../errors';
import { cookiePairs } from '../util/cookies';

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

/**
 * Whether the request carries a Bearer credential: that one is edge-auth's
 * (it is read before any cookie), and, unlike a cookie, a browser never
 * attaches it to a cross-site request on its own.
 */
export function hasBearer(headers: Headers): boolean {
  return BEARER.test(headers.get('Authorization') ?? '');
}

const BEARER = /^\s*bearer(?:\s|$)/i;

function readCookie(header: string | null, name: string): string | undefined {
  for (const pair of cookiePairs(header)) {
    if (pair.name !== name) continue;
    let value = pair.value;
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
