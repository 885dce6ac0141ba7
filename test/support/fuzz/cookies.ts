import fc from 'fast-check';
import type { Transport } from './text';

/**
 * Credentials as clients send them, and as attackers bend them: every
 * spelling of `Authorization`, the session cookie among others under near
 * miss names and encodings, and edge-auth's credential amid Basic auth and
 * the site's own cookies.
 */

/** `{t}` and `{u}` are two tokens. */
const AUTHORIZATION_TEMPLATES = [
  'Bearer {t}',
  'Bearer {t}',
  'Bearer {t}',
  'bearer {t}',
  'BEARER {t}',
  'Bearer  {t}',
  'Bearer\t{t}',
  '  Bearer {t}  ',
  'Bearer\u00a0{t}',
  'Bearer',
  'Bearer ',
  'Bearer {t} {u}',
  'Bearer {t},Bearer {u}',
  'Bearer {t}, Basic dXNlcjpwYXNz',
  'Basic dXNlcjpwYXNz',
  'Basic {t}',
  'Token {t}',
  'Bearer={t}',
  'Bearer:{t}',
  '{t}',
  'Bearer "{t}"',
  'Bearer {t}é',
  'Bearer {t}\u0007',
  'Bearer {t}\r\nX-Auth-User-Id: admin',
];

/**
 * An `Authorization` value: Bearer in every spelling, Basic, other schemes, two tokens.
 *
 * @example
 * fc.sample(authorization(token, transport(false)), 1) // ['bearer eyJ…']
 */
export function authorization(tokens: fc.Arbitrary<string>, t: Transport): fc.Arbitrary<string> {
  const { sendable } = t;
  return fc
    .tuple(fc.constantFrom(...sendable(AUTHORIZATION_TEMPLATES)), tokens, tokens)
    .map(([template, t, u]) => template.replaceAll('{t}', t).replaceAll('{u}', u));
}

/**
 * A `Cookie` header: the session cookie (under `cookieName` or a near miss,
 * raw, quoted, percent-encoded …) among other cookies, few or hundreds, with
 * any separator.
 *
 * @example
 * fc.sample(cookieHeader(token, 'session', transport(false)), 1) // ['theme=dark; session="eyJ…"']
 */
export function cookieHeader(
  tokens: fc.Arbitrary<string>,
  cookieName: string,
  t: Transport,
): fc.Arbitrary<string> {
  const { wire, sendable, text } = t;
  const sessionName = fc.oneof(
    { weight: 6, arbitrary: fc.constant(cookieName) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        ` ${cookieName}`,
        `${cookieName} `,
        cookieName.toUpperCase(),
        `${cookieName}\t`,
        `__Host-${cookieName}`,
        `${cookieName}_`,
        `"${cookieName}"`,
        `${cookieName}[]`,
        `${cookieName}%20`,
        '',
      ),
    },
  );
  const sessionValue = fc
    .tuple(
      tokens,
      fc.constantFrom(
        'raw',
        'raw',
        'raw',
        'quoted',
        'pct-all',
        'pct-some',
        'spaced',
        'half-quoted',
        'trailing-eq',
        'empty',
        'quotes',
      ),
    )
    .map(([t, how]) => {
      const values: Record<typeof how, () => string> = {
        raw: () => t,
        quoted: () => `"${t}"`,
        'pct-all': () => [...t].map((ch) => `%${ch.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''),
        'pct-some': () => t.replaceAll('.', '%2E').replaceAll('-', '%2d'),
        spaced: () => `  ${t}  `,
        'half-quoted': () => `"${t}`,
        'trailing-eq': () => `${t}=`,
        empty: () => '',
        quotes: () => '""',
      };
      return values[how]();
    });
  const sessionCookie = fc.tuple(sessionName, sessionValue).map(([n, v]) => `${n}=${v}`);
  const otherCookie = fc
    .tuple(
      fc.oneof(
        fc.constantFrom(
          '',
          ' ',
          'a',
          'theme',
          'csrftoken',
          '__Secure-x',
          '$Version',
          `${cookieName}2`,
          `x${cookieName}`,
        ),
        fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,16}$/),
      ),
      fc.oneof(
        {
          weight: 4,
          arbitrary: fc.constantFrom(...sendable(['', '""', '"a;b"', 'a=b=c', '%zz', 'é', ' x ', '\u0007'])),
        },
        { weight: 4, arbitrary: text(20) },
        { weight: wire ? 0 : 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 20 }) },
      ),
    )
    .map(([n, v]) => `${n}=${v}`);
  const bare = fc.constantFrom('flag', '', ' ', '=', '==', ';');
  const part = fc.oneof(
    { weight: 3, arbitrary: sessionCookie },
    { weight: 6, arbitrary: otherCookie },
    { weight: 1, arbitrary: bare },
  );
  const few = fc.array(part, { maxLength: 12 });
  const many = fc
    .tuple(fc.integer({ min: 50, max: 400 }), fc.array(part, { maxLength: 4 }), fc.nat())
    .map(([n, parts, at]) => {
      const filler = Array.from({ length: n }, (_, i) => `c${i}=v${i}`);
      filler.splice(at % (n + 1), 0, ...parts);
      return filler;
    });
  return fc
    .tuple(
      fc.oneof({ weight: 5, arbitrary: few }, { weight: 1, arbitrary: many }),
      fc.constantFrom('; ', ';', ' ; ', ', ', ';;'),
    )
    .map(([parts, sep]) => parts.join(sep));
}

/**
 * edge-auth's credential amid others: its cookie among the site's other
 * cookies, next to Basic or Bearer `Authorization`.
 *
 * @example
 * fc.sample(mixedCredentials('session', liveToken), 1)
 * // [[['Cookie', 'theme=dark; session=eyJ…; csrftoken=abc123'], ['Authorization', 'Basic dXNlcjpwYXNz']]]
 */
export function mixedCredentials(
  cookieName: string,
  token: fc.Arbitrary<string>,
): fc.Arbitrary<[string, string][]> {
  const other = fc.constantFrom(
    'theme=dark',
    'csrftoken=abc123',
    'sessionid=django-key',
    `${cookieName}2=x`,
    `x${cookieName}=y`,
    'lang="en"',
    'flag',
  );
  return fc
    .record({
      before: fc.array(other, { maxLength: 3 }),
      after: fc.array(other, { maxLength: 3 }),
      token,
      inCookie: fc.constantFrom(true, true, false),
      separator: fc.constantFrom('; ', ';', ' ; ', ';  '),
      authorization: fc.constantFrom(
        undefined,
        undefined,
        'Basic dXNlcjpwYXNz',
        'Bearer',
        'Digest username="u"',
      ),
    })
    .map(({ before, after, token, inCookie, separator, authorization }) => {
      const cookies = [...before, ...(inCookie ? [`${cookieName}=${token}`] : []), ...after];
      const headers: [string, string][] = [];
      if (cookies.length > 0) headers.push(['Cookie', cookies.join(separator)]);
      if (authorization !== undefined) {
        headers.push(['Authorization', authorization === 'Bearer' ? `Bearer ${token}` : authorization]);
      }
      return headers;
    });
}
