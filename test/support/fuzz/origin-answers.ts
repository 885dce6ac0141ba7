import fc from 'fast-check';

/**
 * How the origin marks its answers for caches: what edge-auth must make
 * private when the answer was made for one user.
 */
const CACHE_CONTROLS = [
  'public, max-age=600',
  'max-age=60',
  's-maxage=300, max-age=60',
  'public,s-maxage=60,stale-while-revalidate=30',
  'S-MAXAGE=1, Public',
  'public',
  'no-cache',
  'max-age=0, must-revalidate',
  'private',
  'PRIVATE',
  ' private ',
  'private, max-age=60',
  'private="Set-Cookie", max-age=60',
  'no-store',
  'No-Store, public',
  'no-store=1, s-maxage=5',
  '',
];
const CDN_CACHE_HEADERS = ['CDN-Cache-Control', 'Cloudflare-CDN-Cache-Control', 'Surrogate-Control'];

/**
 * The headers one origin answer carries: a `Cache-Control` (or none) and
 * some of the CDN-only caching headers.
 *
 * @example
 * fc.sample(originAnswer, 1) // [[['Cache-Control', 'public, max-age=600'], ['Surrogate-Control', 'max-age=3600']]]
 */
export const originAnswer: fc.Arbitrary<[string, string][]> = fc
  .tuple(
    fc.option(fc.constantFrom(...CACHE_CONTROLS), { nil: undefined, freq: 4 }),
    fc.subarray(CDN_CACHE_HEADERS),
  )
  .map(([cacheControl, cdn]) => [
    ...(cacheControl === undefined ? [] : [['Cache-Control', cacheControl] as [string, string]]),
    ...cdn.map((name): [string, string] => [name, 'max-age=3600']),
  ]);
