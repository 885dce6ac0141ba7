/** Caching headers meant for CDNs alone (RFC 9213, Fastly/Akamai), which they obey over `Cache-Control`. */
const CDN_CACHE_HEADERS = ['cdn-cache-control', 'cloudflare-cdn-cache-control', 'surrogate-control'];

/**
 * Keeps an authenticated answer out of shared caches. It was made for one
 * user, but a cache downstream keys it by URL alone: served to the next
 * visitor, it would hand them that user's page. So unless the origin already
 * said `private` or `no-store`, `public` and `s-maxage` are removed and
 * `private` is added (the browser's own cache still works); CDN-only caching
 * headers are removed. A field-named `private="Set-Cookie"` still lets shared
 * caches keep the rest, so it does not count as private.
 *
 * @example
 * makePrivate(headers); // 'public, max-age=600' → 'max-age=600, private'
 */
export function makePrivate(headers: Headers): void {
  for (const name of CDN_CACHE_HEADERS) headers.delete(name);
  const directives = (headers.get('Cache-Control') ?? '')
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean);
  const names = directives.map((d) => d.split('=')[0]?.trim().toLowerCase());
  if (names.includes('no-store') || directives.some((d) => d.toLowerCase() === 'private')) return;
  const kept = directives.filter((_, i) => names[i] !== 'public' && names[i] !== 's-maxage');
  headers.set('Cache-Control', [...kept, 'private'].join(', '));
}
