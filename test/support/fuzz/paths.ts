import fc from 'fast-check';

/**
 * Paths as an attacker writes them: public prefixes and near misses, dot
 * segments and `..` inside segments, every encoding of `/`, `\\`, `.` and
 * `;`, look-alikes, controls, queries, very long and random ones.
 */

/** Public paths both layers configure. */
export const PUBLIC_PATHS = ['/public', '/static*'];

/** Pieces of hostile paths: encodings, dot segments, separators, look-alikes. */
const PATH_PIECES = [
  '..',
  '.',
  '...',
  '%2e',
  '%2E',
  '%2e%2e',
  '.%2e',
  '%2e.',
  '%2f',
  '%2F',
  '..%2f',
  '..%2F..%2f',
  '%5c',
  '%5C',
  '..%5c',
  '\\',
  '..\\',
  ';',
  ';x=1',
  '..;',
  '%3b',
  '%3B..',
  '%00',
  'x%00.js',
  '%0a',
  '%0d%0a',
  '%09',
  '%25',
  '%252f',
  '%252e%252e',
  '%25252f',
  '%c0%af',
  '%c0%ae',
  '%c0%ae%c0%ae',
  '%c1%9c',
  '%e0%80%af',
  '%f0%80%80%af',
  '%ef%bc%8f',
  '%EF%BC%8E%EF%BC%8E',
  '%e2%80%a5',
  '／',
  '．．',
  '＼',
  '；',
  '‥',
  '︰',
  '%u002f',
  '%',
  '%zz',
  '%2',
  'admin',
  'secret.txt',
  'app.js',
  'caf%C3%A9.png',
  'café',
  '日本',
  '%E6%97%A5',
  ' ',
  '%20',
  '\t',
  '//',
  '?x=/../admin',
  '#frag',
  '@evil.example',
  'public',
  'static',
  // `..` inside a segment: outside the prefix for an nginx `alias` without its slash.
  'a..b',
  '..x',
  'x..',
];

const PATH_BASES = [
  '/public',
  '/public/',
  '/public/a',
  '/static',
  '/static/',
  '/static-admin',
  '/staticx',
  '/public-admin',
  '/publicx',
  '/PUBLIC',
  '/api',
  '/api/users/1',
  '/admin',
  '/auth/session',
  '/auth/verify',
  '/auth/logout',
  '/auth',
  '/healthz',
  '/readyz',
  '/.well-known/jwks.json',
  '/',
  '//',
  '/static..',
  '/static../settings.py',
  '/public/a..b',
  '/assets../x',
];

/**
 * Hostile paths (with queries), cut at `maxPathLength`, and a few plain ones.
 *
 * @example
 * fc.sample(pathArbitraries(16_000).path, 1) // ['/public/%2e%2e/admin']
 */
export function pathArbitraries(maxPathLength: number) {
  const query = fc.oneof(
    fc.constantFrom(
      '?a=1',
      '?redirect=/../admin',
      '?%00',
      '?x=%2f..%2f',
      '?',
      '?é=日本',
      `?q=${'q'.repeat(2000)}`,
    ),
    fc.string({ unit: 'binary-ascii', maxLength: 20 }).map((s) => `?${s}`),
  );
  const ordinaryPath = fc
    .tuple(
      fc.constantFrom(...PATH_BASES),
      fc.array(fc.tuple(fc.constantFrom('/', '/', '/', ''), fc.constantFrom(...PATH_PIECES)), {
        maxLength: 6,
      }),
      fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: query }),
    )
    .map(([base, pieces, q]) => base + pieces.map(([sep, piece]) => sep + piece).join('') + (q ?? ''));
  const longPath = fc
    .tuple(
      fc.constantFrom('/public/', '/static', '/api/', '/public/..%2f'),
      fc.constantFrom('a', '../', '%2e%2e/', 'é', '%C3%A9', '/', 'ab;', '%00'),
      fc.integer({ min: 100, max: 4000 }),
    )
    .map(([base, piece, n]) => base + piece.repeat(n));
  const randomPath = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.webPath(),
    fc.webSegment().map((s) => `/public/${s}`),
  );
  const path = fc
    .oneof(
      { weight: 8, arbitrary: ordinaryPath },
      { weight: 1, arbitrary: longPath },
      { weight: 2, arbitrary: randomPath },
    )
    .map((p) => {
      const rooted = p.startsWith('/') ? p : `/${p}`;
      return rooted.slice(0, maxPathLength);
    });
  const simplePath = fc.constantFrom(
    '/api/x',
    '/auth/session',
    '/auth/verify',
    '/admin',
    '/public/app.js',
    '/',
  );
  return { path, simplePath };
}
