/** `Sec-Fetch-Site` values of a request a page of this site (or the user, typing a URL) made. */
const OWN = new Set(['same-origin', 'same-site', 'none']);

/**
 * Whether a browser request came from a page of this site, or from a client
 * that is no browser. A browser sends `Sec-Fetch-Site` (all current ones)
 * and `Origin` on every POST; a cross-site form or `fetch` carries the
 * user's cookies but says `cross-site` and the other site's origin (or
 * `null`). Accepted: `Sec-Fetch-Site` same-origin, same-site or none; else an
 * `Origin` equal to the request's own or a trusted one; else neither header
 * (curl, a server). Refused: everything else.
 *
 * @example
 * isOwnSiteRequest(request.headers, 'https://app.example', []) // false for Origin: https://evil.example
 */
export function isOwnSiteRequest(headers: Headers, ownOrigin: string, trusted: readonly string[]): boolean {
  const site = headers.get('Sec-Fetch-Site');
  if (site !== null && OWN.has(site.trim().toLowerCase())) return true;
  const origin = headers.get('Origin');
  if (origin !== null) return origin === ownOrigin || trusted.includes(origin);
  return site === null;
}
