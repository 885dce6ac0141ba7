import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkExchange,
  type Exchange,
  FAR_FUTURE,
  type FuzzConfig,
  validToken,
} from '../../test/support/fuzz';
import {
  ALICE_IDENTITY,
  bearer,
  checkerFixtures,
  exchange,
  forwarded,
  PRIVATE_ANSWER,
  unsigned,
} from '../../test/support/fuzz/checker-fixtures';
import { SECRET } from '../../test/support/memory-app';

type Fixtures = Awaited<ReturnType<typeof checkerFixtures>>;
type Case = [string, (f: Fixtures) => Exchange | Promise<Exchange>, Partial<FuzzConfig>?];

/**
 * The fuzzers' checker must not be vacuous: each exchange below breaks one
 * invariant of identity, paths, statuses or answers (the checker must flag
 * it), the last ones none. The trust boundary's are in
 * fuzz-checker-boundary.test.ts.
 */
const BROKEN: Case[] = [
  [
    "alice's identity for bob's token",
    () =>
      exchange(
        bearer(validToken(SECRET, 'bob', 's-bob-0')),
        { headers: PRIVATE_ANSWER },
        forwarded(ALICE_IDENTITY),
      ),
  ],
  [
    "alice's identity for an unsigned token naming her",
    () =>
      exchange(
        bearer(unsigned({ sub: 'alice', sid: 's-alice-0', exp: FAR_FUTURE })),
        { headers: PRIVATE_ANSWER },
        forwarded(ALICE_IDENTITY),
      ),
  ],
  [
    'the identity of a revoked session',
    () =>
      exchange(
        bearer(validToken(SECRET, 'alice', 's-alice-1')),
        { headers: PRIVATE_ANSWER },
        forwarded(ALICE_IDENTITY.map(([n, v]) => [n, n === 'x-auth-session-id' ? 's-alice-1' : v])),
      ),
  ],
  [
    'a value cut short',
    (f) => exchange(bearer(f.alice), { headers: PRIVATE_ANSWER }, forwarded(ALICE_IDENTITY.slice(0, 5))),
  ],
  [
    'a client-spelled identity header next to the real ones',
    (f) =>
      exchange(
        bearer(f.alice),
        { headers: PRIVATE_ANSWER },
        forwarded([...ALICE_IDENTITY, ['x_auth_is_superuser', 'true']]),
      ),
  ],
  ['X-Real-IP from the client', () => exchange([], {}, forwarded([['x-real-ip', '10.0.0.1']], '/public/a'))],
  ['a confusing path forwarded as public', () => exchange([], {}, forwarded([], '/public/..%2fadmin'))],
  ['a `..` inside a segment forwarded as public', () => exchange([], {}, forwarded([], '/static../x.py'))],
  ['a 502', () => exchange([], { status: 502, body: '{"error":"bad_gateway"}' })],
  ['a 503 with no outage', () => exchange([], { status: 503, headers: [['retry-after', '1']] })],
  [
    'a 500 identity_unrepresentable for a representable user',
    (f) => exchange(bearer(f.alice), { status: 500, body: '{"error":"identity_unrepresentable"}' }),
  ],
  ['a 401 without its challenge', () => exchange([], { status: 401 })],
  ['a control character in an answer header', () => exchange([], { headers: [['x-note', 'a\u0007b']] })],
  [
    'a logout logged as another outcome',
    (f) => ({
      ...exchange(bearer(f.alice), { status: 204 }, [], { method: 'POST', path: '/auth/logout' }),
      logs: ['{"msg":"request","route":"logout","status":204,"outcome":"authenticated"}'],
    }),
  ],
];

const SOUND: Case[] = [
  [
    "alice's exact identity for her token",
    (f) => exchange(bearer(f.alice), { headers: PRIVATE_ANSWER }, forwarded(ALICE_IDENTITY)),
  ],
  [
    'a 503 in an outage',
    () => exchange([], { status: 503, headers: [['retry-after', '1']] }, [], { outage: 'database' }),
  ],
  ['a plain public path', () => exchange([], {}, forwarded([], '/public/caf%C3%A9.png'))],
];

describe('the invariant checker', () => {
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
