import { beforeAll, describe, expect, it } from 'vitest';
import { checkExchange, type Exchange, type FuzzConfig } from '../../test/support/fuzz';
import {
  ALICE_IDENTITY,
  bearer,
  checkerFixtures,
  exchange,
  forwarded,
  LOGOUT,
  OPTIONS,
  PREFLIGHT,
  PRIVATE_ANSWER,
} from '../../test/support/fuzz/checker-fixtures';
import { SECRET } from '../../test/support/memory-app';

type Fixtures = Awaited<ReturnType<typeof checkerFixtures>>;
type Case = [string, (f: Fixtures) => Exchange | Promise<Exchange>, Partial<FuzzConfig>?];

/**
 * The checker knows the trust boundary v2 (issue #13): each exchange below
 * breaks one of its rules (the checker must flag it), the last ones none.
 */
const PRIVATE = { headers: PRIVATE_ANSWER };
const COOKIE_LOGOUT: [string, string][] = [['Cookie', 'session=x']];
const REFUSED = { status: 403, body: '{"error":"cross_site_request"}' };
const allow = (names: string[]): Partial<FuzzConfig> => ({ headersWithUnderscores: names });

const BROKEN: Case[] = [
  [
    'SCRIPT_NAME from the client',
    () => exchange([['SCRIPT_NAME', '/public']], {}, forwarded([['script_name', '/public']], '/public/a')),
  ],
  [
    'a name with _ that is not the one allowed',
    () => exchange([['X_Other', '1']], {}, forwarded([['x_other', '1']], '/public/a')),
    allow(['X_Custom_Trace']),
  ],
  [
    'an allowed name with _ dropped',
    () => exchange([['X_Custom_Trace', 't']], {}, forwarded([], '/public/a')),
    allow(['X_Custom_Trace']),
  ],
  [
    'X-Original-URL from the client',
    () =>
      exchange([['X-Original-URL', '/admin']], {}, forwarded([['x-original-url', '/admin']], '/public/a')),
  ],
  [
    'a method override on a public path',
    () => exchange([['X-HTTP-Method', 'DELETE']], {}, forwarded([['x-http-method', 'DELETE']], '/public/a')),
  ],
  [
    'a method override dropped from an authenticated request',
    (f) =>
      exchange([...bearer(f.alice), ['X-HTTP-Method-Override', 'PUT']], PRIVATE, forwarded(ALICE_IDENTITY)),
  ],
  [
    "edge-auth's cookie forwarded",
    (f) => {
      const cookie = `theme=dark; session=${f.alice}`;
      return exchange([['Cookie', cookie]], PRIVATE, forwarded([...ALICE_IDENTITY, ['cookie', cookie]]));
    },
  ],
  [
    'the other cookies dropped with it',
    (f) => exchange([['Cookie', `theme=dark; session=${f.alice}`]], PRIVATE, forwarded(ALICE_IDENTITY)),
  ],
  [
    'a Bearer token forwarded',
    (f) =>
      exchange(
        bearer(f.alice),
        PRIVATE,
        forwarded([...ALICE_IDENTITY, ['authorization', `Bearer ${f.alice}`]]),
      ),
  ],
  [
    'Basic credentials dropped',
    (f) =>
      exchange(
        [
          ['Authorization', 'Basic dTpw'],
          ['Cookie', `session=${f.alice}`],
        ],
        PRIVATE,
        forwarded(ALICE_IDENTITY),
      ),
  ],
  [
    'a cookie on a passed preflight, even with FORWARD_CREDENTIALS',
    () => exchange([...PREFLIGHT, ['Cookie', 'a=1']], {}, forwarded([['cookie', 'a=1']]), OPTIONS),
    { corsPreflightPass: true, forwardCredentials: true },
  ],
  [
    'a preflight with a body passed',
    () => exchange(PREFLIGHT, {}, forwarded([]), { ...OPTIONS, body: '_method=DELETE' }),
    { corsPreflightPass: true },
  ],
  [
    'a preflight with Transfer-Encoding passed',
    () => exchange([...PREFLIGHT, ['Transfer-Encoding', 'chunked']], {}, forwarded([]), OPTIONS),
    { corsPreflightPass: true },
  ],
  [
    'a real preflight authenticated',
    () =>
      exchange(
        PREFLIGHT,
        { status: 401, headers: [['www-authenticate', 'Bearer realm="edge-auth"']] },
        [],
        OPTIONS,
      ),
    { corsPreflightPass: true },
  ],
  [
    'a public Cache-Control kept on an authenticated answer',
    (f) =>
      exchange(
        bearer(f.alice),
        { headers: [['cache-control', 'public, max-age=600, private']] },
        forwarded(ALICE_IDENTITY),
        {
          answer: [['Cache-Control', 'public, max-age=600']],
        },
      ),
  ],
  [
    'Surrogate-Control on an authenticated answer',
    (f) =>
      exchange(
        bearer(f.alice),
        { headers: [...PRIVATE_ANSWER, ['surrogate-control', 'max-age=60']] },
        forwarded(ALICE_IDENTITY),
        {
          answer: [['Surrogate-Control', 'max-age=60']],
        },
      ),
  ],
  [
    'a cross-site cookie logout that logged out',
    (f) => ({
      ...exchange(
        [
          ['Cookie', `session=${f.alice}`],
          ['Origin', 'https://evil.example'],
        ],
        { status: 204 },
        [],
        LOGOUT,
      ),
      revoked: ['s-alice-0'],
    }),
  ],
  [
    'a same-origin logout refused',
    () => exchange([...COOKIE_LOGOUT, ['Sec-Fetch-Site', 'same-origin']], REFUSED, [], LOGOUT),
  ],
  [
    'a logout from a trusted origin refused',
    () => exchange([...COOKIE_LOGOUT, ['Origin', 'https://app.example']], REFUSED, [], LOGOUT),
    { trustedOrigins: ['https://app.example/'] },
  ],
  [
    'an assertion on /auth/verify in reverse-proxy mode',
    async (f) => exchange(bearer(f.alice), { headers: await f.assertion({}) }, [], { path: '/auth/verify' }),
    { assertion: true },
  ],
  [
    'a forward-auth assertion whose htu took the host of a //host URI',
    async (f) =>
      exchange(
        [...bearer(f.alice), ['X-Forwarded-Method', 'get'], ['X-Forwarded-Uri', '//evil.example/x']],
        { headers: await f.assertion({ htu: 'http://evil.example/x' }) },
        [],
        { path: '/auth/verify' },
      ),
    { assertion: true, mode: 'forward-auth' },
  ],
  [
    'a forwarded assertion bound to another method',
    async (f) => exchange(bearer(f.alice), PRIVATE, forwarded(await f.assertion({ htm: 'DELETE' }))),
    { assertion: true },
  ],
];

const SOUND: Case[] = [
  [
    "edge-auth's cookie removed, the others kept as sent",
    (f) =>
      exchange(
        [
          ['Cookie', `theme=dark;session=${f.alice};  a=1`],
          ['Authorization', 'Basic dTpw'],
        ],
        PRIVATE,
        forwarded([...ALICE_IDENTITY, ['cookie', 'theme=dark; a=1'], ['authorization', 'Basic dTpw']]),
      ),
  ],
  [
    'an allowed name with _ kept, a preflight passed bare',
    () =>
      exchange(
        [...PREFLIGHT, ['X_Custom_Trace', 't'], ['Cookie', 'a=1']],
        {},
        forwarded([['x_custom_trace', 't']]),
        OPTIONS,
      ),
    { corsPreflightPass: true, ...allow(['X_Custom_Trace']) },
  ],
  [
    'a forward-auth assertion bound to the forwarded request, on its own host',
    async (f) =>
      exchange(
        [...bearer(f.alice), ['X-Forwarded-Method', 'get'], ['X-Forwarded-Uri', '//evil.example/x?q=1']],
        { headers: await f.assertion({ htu: 'http://localhost//evil.example/x' }) },
        [],
        { path: '/auth/verify' },
      ),
    { assertion: true, mode: 'forward-auth' },
  ],
  [
    'a cross-site cookie logout refused',
    () => exchange([...COOKIE_LOGOUT, ['Sec-Fetch-Site', 'cross-site']], REFUSED, [], LOGOUT),
  ],
];

describe('the invariant checker, trust boundary v2', () => {
  let fixtures: Fixtures;
  beforeAll(async () => {
    fixtures = await checkerFixtures(SECRET);
  });
  for (const [name, build, config] of BROKEN) {
    it(`flags ${name}`, async () => {
      expect(await checkExchange(await build(fixtures), fixtures.context(config))).not.toEqual([]);
    });
  }
  for (const [name, build, config] of SOUND) {
    it(`passes ${name}`, async () => {
      expect(await checkExchange(await build(fixtures), fixtures.context(config))).toEqual([]);
    });
  }
});
