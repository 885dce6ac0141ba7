/**
 * edge-auth's own credential, as the rules name it: a `Bearer`
 * `Authorization` (of any case), and the session cookie read the way the
 * token reader reads `Cookie` (split on `;`, names trimmed).
 */

/**
 * Whether an `Authorization` value is a Bearer credential (its scheme is `Bearer`, any case).
 *
 * @example
 * isBearer('bearer eyJ…') // true; isBearer('Basic dTpw') // false
 */
export function isBearer(authorization: string | null): boolean {
  return authorization !== null && /^\s*bearer(?:\s|$)/i.test(authorization);
}

/**
 * `Cookie` without the session cookie: the other pairs as sent, joined with
 * `; `; unchanged when it had none; `null` when nothing is left.
 *
 * @example
 * cookieWithout('theme=dark;session=eyJ… ; a=1', 'session') // 'theme=dark; a=1'
 */
export function cookieWithout(cookie: string | null, name: string): string | null {
  if (cookie === null) return null;
  const pairs = cookie
    .split(';')
    .map((part) => ({ text: part.trim(), name: part.includes('=') ? part.split('=')[0]?.trim() : '' }))
    .filter((pair) => pair.text !== '');
  const kept = pairs.filter((pair) => pair.name !== name);
  if (kept.length === pairs.length) return cookie;
  return kept.length === 0 ? null : kept.map((pair) => pair.text).join('; ');
}
