import fc from 'fast-check';
import type { Transport } from './text';
import { spell } from './text';
import { WORLD_SESSIONS, WORLD_USERS } from './world';

/**
 * Header names and values of every spelling: names only edge-auth may set
 * (in any case, with `_` for `-`), near misses, framing and credential
 * names, and values with controls, encodings and lengths a client may send.
 */

/** Names only edge-auth may send, and near misses that are not reserved. */
const RESERVED_BASES = [
  'x-auth-user-id',
  'x-auth-session-id',
  'x-auth-username',
  'x-auth-email',
  'x-auth-is-staff',
  'x-auth-is-superuser',
  'x-auth-assertion',
  'x-auth-role',
  'x-auth-',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-user',
  'x-forwarded-',
  'forwarded',
  'x-real-ip',
];
const DECOY_NAMES = [
  'x-auth',
  'x-authority',
  'xauth-user',
  'x-authx-user-id',
  'x-forwarded',
  'forwarded-for',
];
const OTHER_NAMES = [
  'Accept',
  'Content-Type',
  'CF-Connecting-IP',
  'Origin',
  'Access-Control-Request-Method',
  'Connection',
  'Keep-Alive',
  'TE',
  'Trailer',
  'Upgrade',
  'Proxy-Authorization',
  'Proxy-Connection',
  'Cookie',
  'Authorization',
  'Host',
];
/** Connection-level headers an HTTP/1 client decides itself and never sends from the caller. */
const CLIENT_FRAMING = new Set(['connection', 'keep-alive', 'te', 'trailer', 'upgrade', 'proxy-connection']);
/** Names the HTTP client refuses to send (counted as refusals, never reaching the Worker). */
const UNSENDABLE_NAMES = ['X Auth-User-Id', 'X-Äuth-User-Id', 'x-auth-user-id:', ''];

const HEADER_VALUES = [
  'admin',
  'true',
  'false',
  'alice',
  'bob',
  '1',
  '',
  ' ',
  'for=10.0.0.1;host=admin.internal;proto=https',
  '10.0.0.1',
  '203.0.113.9',
  '10.0.0.1, 203.0.113.9',
  'alice@example.com',
  'r%C3%A9my%2050%25',
  'r%25C3%25A9my%2050%2525',
  'x\u0007y',
  'x\ty',
  '\u007f',
  'x\u001by',
  'é',
  'ÿ',
  'rémy',
  'websocket',
  'keep-alive, X-Auth-User-Id',
  'x'.repeat(9000),
];
/** Values the HTTP client refuses (CR/LF, NUL, beyond Latin-1): rare, they never reach the Worker. */
const UNSENDABLE_VALUES = ['a\r\nX-Auth-User-Id: admin', 'x\u0000y', 'x\ny', '日本'];

/**
 * One hostile header: a reserved name in any spelling, or a decoy, framing
 * or random name, with a value a client may or may not be able to send.
 *
 * @example
 * fc.sample(headerPair(transport(false)), 1) // [['X_Auth-User_ID', 'admin']]
 */
export function headerPair(t: Transport): fc.Arbitrary<[string, string]> {
  const { wire, sendable, text } = t;
  const userIds = WORLD_USERS.map((u) => u.id);
  const sessionIds = WORLD_SESSIONS.map((s) => s.id);
  const reservedName = fc
    .tuple(fc.constantFrom(...RESERVED_BASES), fc.nat(), fc.nat())
    .map(([base, caseMask, underscoreMask]) => spell(base, caseMask, underscoreMask));
  const headerValue = fc.oneof(
    { weight: 30, arbitrary: fc.constantFrom(...sendable(HEADER_VALUES)) },
    { weight: 6, arbitrary: fc.constantFrom(...userIds, ...sessionIds) },
    { weight: 15, arbitrary: text(40) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constantFrom(...UNSENDABLE_VALUES),
        fc.string({ unit: 'binary-ascii', maxLength: 40 }),
        fc.string({ unit: 'binary', maxLength: 20 }),
      ),
    },
  );
  return fc.oneof(
    { weight: 5, arbitrary: fc.tuple(reservedName, headerValue) },
    {
      weight: 2,
      arbitrary: fc.tuple(
        fc.oneof(
          {
            weight: 20,
            arbitrary: fc.constantFrom(
              ...DECOY_NAMES,
              ...OTHER_NAMES.filter((name) => !wire || !CLIENT_FRAMING.has(name.toLowerCase())),
            ),
          },
          { weight: wire ? 0 : 1, arbitrary: fc.constantFrom(...UNSENDABLE_NAMES) },
          { weight: 10, arbitrary: fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,24}$/) },
        ),
        headerValue,
      ),
    },
  );
}
