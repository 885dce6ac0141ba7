import fc from 'fast-check';
import { ALLOWABLE_UNDERSCORE_NAMES, TRUSTED_ORIGIN_CHOICES } from './configs';
import { spell, type Transport } from './text';

/**
 * Header classes of the trust boundary v2 (issue #13): names with `_` (CGI
 * and WSGI metadata), path rewrites, method overrides and `_method` bodies,
 * the site headers of a logout, and the headers a forward-auth proxy sends.
 */

/** Names CGI, WSGI and Rack servers read as request metadata, and an `HTTP_` one. */
const CGI_NAMES = [
  'script_name',
  'path_info',
  'remote_user',
  'remote_addr',
  'query_string',
  'server_name',
  'auth_type',
  'content_type',
  'http_host',
  'http_x_auth_user_id',
];
const CGI_VALUES = ['/login', '/static', '/account/', 'admin', '127.0.0.1', 'full=1', 'x'];
const REWRITE_NAMES = ['X-Original-URL', 'x-original-url', 'X-Rewrite-URL', 'X-REWRITE-URL'];
const REWRITE_VALUES = ['/admin', '/account/?full=1', '/auth/session', 'http://evil.example/admin'];
const OVERRIDE_NAMES = [
  'X-HTTP-Method-Override',
  'X-HTTP-Method',
  'X-Method-Override',
  'x-http-method-override',
  'X-Http-Method',
];
const OVERRIDE_VALUES = ['DELETE', 'PUT', 'PATCH', 'delete', 'GET'];
/** Bodies that override the method in Rails, Laravel, Symfony, Hono's `methodOverride()` … */
const METHOD_BODIES = ['_method=DELETE', '_method=put&x=1', 'x=1&_method=PATCH'];

/**
 * One header of the new classes: a name with `_` (CGI names in any case, the
 * names a config may allow, odd ones), a path rewrite, or a method override.
 *
 * @example
 * fc.sample(boundaryHeader, 1) // [['Script_Name', '/login']]
 */
export const boundaryHeader: fc.Arbitrary<[string, string]> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.tuple(
      fc.oneof(
        {
          weight: 4,
          arbitrary: fc.tuple(fc.constantFrom(...CGI_NAMES), fc.nat()).map(([n, m]) => spell(n, m, 0)),
        },
        {
          weight: 3,
          arbitrary: fc
            .tuple(fc.constantFrom(...ALLOWABLE_UNDERSCORE_NAMES), fc.constantFrom('as', 'lower', 'upper'))
            .map(([name, how]) =>
              how === 'lower' ? name.toLowerCase() : how === 'upper' ? name.toUpperCase() : name,
            ),
        },
        {
          weight: 1,
          arbitrary: fc.constantFrom('x_', '_', 'x-custom_trace', 'X_HTTP_Method_Override', 'x_original_url'),
        },
      ),
      fc.constantFrom(...CGI_VALUES),
    ),
  },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...REWRITE_NAMES), fc.constantFrom(...REWRITE_VALUES)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...OVERRIDE_NAMES), fc.constantFrom(...OVERRIDE_VALUES)) },
);

/**
 * A form body that overrides the method (sent with `FORM_CONTENT_TYPE`), or mostly none.
 *
 * @example
 * fc.sample(methodBody, 1) // ['_method=DELETE']
 */
export const methodBody: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom(...METHOD_BODIES) },
);

/** The `Content-Type` of a `_method` form body. */
export const FORM_CONTENT_TYPE: [string, string] = ['Content-Type', 'application/x-www-form-urlencoded'];

/**
 * `Sec-Fetch-Site` and `Origin` as browsers and other clients send them (or
 * not) with a logout: edge-auth's own origin, trusted and untrusted ones,
 * `null`, near misses.
 *
 * @example
 * fc.sample(siteHeaders('http://localhost'), 1) // [[['Sec-Fetch-Site', 'cross-site'], ['Origin', 'https://evil.example']]]
 */
export function siteHeaders(ownOrigin: string): fc.Arbitrary<[string, string][]> {
  const trusted = TRUSTED_ORIGIN_CHOICES.map((o) => new URL(o).origin);
  return fc
    .record({
      site: fc.option(
        fc.constantFrom(
          'same-origin',
          'same-site',
          'none',
          'cross-site',
          'SAME-ORIGIN',
          ' none ',
          '',
          'same-origin, cross-site',
        ),
        { nil: undefined, freq: 3 },
      ),
      origin: fc.option(
        fc.constantFrom(
          ownOrigin,
          ownOrigin,
          `${ownOrigin}/`,
          ownOrigin.toUpperCase(),
          ...trusted,
          `${trusted[0]}/`,
          'https://evil.example',
          'null',
          '',
        ),
        { nil: undefined, freq: 3 },
      ),
    })
    .map(({ site, origin }) => [
      ...(site === undefined ? [] : [['Sec-Fetch-Site', site] as [string, string]]),
      ...(origin === undefined ? [] : [['Origin', origin] as [string, string]]),
    ]);
}

/**
 * What a forward-auth proxy says it forwards (`X-Forwarded-Method`, `-Uri`,
 * `-Proto`, `-Host`), each sometimes missing or wrong: `//host` URIs,
 * queries, absolute URLs, odd methods, lists.
 *
 * @example
 * fc.sample(forwardedRequestHeaders(transport(false)), 1) // [[['X-Forwarded-Method', 'DELETE'], ['X-Forwarded-Uri', '//evil.example/x']]]
 */
export function forwardedRequestHeaders(t: Transport): fc.Arbitrary<[string, string][]> {
  const one = (name: string, values: string[], freq: number) =>
    fc.option(
      fc.constantFrom(...t.sendable(values)).map((v): [string, string] => [name, v]),
      { nil: undefined, freq },
    );
  return fc
    .tuple(
      one(
        'X-Forwarded-Method',
        ['GET', 'GET', 'post', 'DELETE', 'PATCH', ' put ', 'G ET', '', 'M-SEARCH', 'GET\t'],
        6,
      ),
      one(
        'X-Forwarded-Uri',
        [
          '/api/x',
          '/api/x?y=1',
          '/admin#f',
          '//evil.example/x',
          '///evil.example',
          '/a/../b',
          'https://evil.example/x',
          'api',
          '',
          '/%2e%2e/admin',
          '/caf%C3%A9',
          '/é',
          '/',
        ],
        6,
      ),
      one('X-Forwarded-Proto', ['https', 'http', 'HTTPS', 'ftp', 'https, http', ''], 2),
      one(
        'X-Forwarded-Host',
        ['app.example', 'app.example:8443', 'a.example, b.example', 'evil.example@app.example', '', 'a b'],
        2,
      ),
    )
    .map((headers) => headers.filter((h) => h !== undefined));
}
