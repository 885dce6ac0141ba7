import fc from 'fast-check';
import type { Transport } from './text';

/**
 * Methods, and the shapes of an OPTIONS request: a real CORS preflight
 * (`Origin`, `Access-Control-Request-Method`, no body) and every near miss.
 */

export const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];
const ODD_METHODS = [
  'get',
  'post',
  'patch',
  'Get',
  'PROPFIND',
  'MKCOL',
  'SEARCH',
  'QUERY',
  'PURGE',
  'X-CUSTOM',
  'M-SEARCH',
  'CONNECT',
  'TRACE',
  'TRACK',
  'G ET',
  '',
  'GÉT',
  "!#$%&'*+-.^_`|~",
];

/**
 * A method: mostly the standard ones, then odd, lower-case, WebDAV and
 * random tokens.
 *
 * @example
 * fc.sample(methodArbitrary(transport(false)), 1) // ['PROPFIND']
 */
export function methodArbitrary(t: Transport): fc.Arbitrary<string> {
  const { wire } = t;
  return fc.oneof(
    { weight: wire ? 40 : 20, arbitrary: fc.constantFrom(...METHODS) },
    { weight: 3, arbitrary: fc.constantFrom(...ODD_METHODS) },
    { weight: 1, arbitrary: fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,12}$/) },
  );
}

/**
 * The CORS preflight headers of old (`Origin`, `Access-Control-Request-Method`), now and then.
 *
 * @example
 * fc.sample(preflight, 1) // [['https://app.example', 'DELETE']]
 */
export const preflight = fc.oneof(
  { weight: 19, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constantFrom('https://app.example', 'null', ''),
      fc.constantFrom('POST', 'DELETE', 'x', ''),
    ),
  },
);

/** An OPTIONS request's headers and body. */
export interface OptionsShape {
  headers: [string, string][];
  body: string | null;
}

/**
 * OPTIONS requests with and without `Origin` and
 * `Access-Control-Request-Method`, with no body, an empty one or a `_method`
 * one, and (where the transport lets the caller decide framing)
 * `Content-Length` of zeros or not and `Transfer-Encoding`.
 *
 * @example
 * fc.sample(optionsShape(transport(false), 'http://localhost'), 1)
 * // [{ headers: [['Origin', 'https://app.example'], ['Access-Control-Request-Method', 'DELETE']], body: null }]
 */
export function optionsShape(t: Transport, ownOrigin: string): fc.Arbitrary<OptionsShape> {
  const rarely = <T>(values: T[]) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom(...values) },
    );
  return fc
    .record({
      origin: fc.option(fc.constantFrom('https://app.example', ownOrigin, 'null', ''), {
        nil: undefined,
        freq: 6,
      }),
      requestMethod: fc.option(fc.constantFrom('DELETE', 'PUT', 'POST', 'x', ''), {
        nil: undefined,
        freq: 6,
      }),
      body: fc.constantFrom<string | null>(null, null, null, '', '_method=DELETE', 'x'),
      // An HTTP client decides framing itself (undici drops Content-Length, refuses Transfer-Encoding).
      contentLength: t.wire
        ? fc.constant(undefined)
        : rarely(['0', '00', ' 0 ', '000', '1', '', '0x0', '+0', '0, 0']),
      transferEncoding: t.wire ? fc.constant(undefined) : rarely(['chunked', 'identity', '']),
    })
    .map(({ origin, requestMethod, body, contentLength, transferEncoding }) => {
      const headers: [string, string][] = [];
      if (origin !== undefined) headers.push(['Origin', origin]);
      if (requestMethod !== undefined) headers.push(['Access-Control-Request-Method', requestMethod]);
      if (contentLength !== undefined) headers.push(['Content-Length', contentLength]);
      if (transferEncoding !== undefined) headers.push(['Transfer-Encoding', transferEncoding]);
      return { headers, body };
    });
}
