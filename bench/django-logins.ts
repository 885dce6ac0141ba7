// Django's own sessions for the Django-mode arm of `npm run bench`: Django's
// `auth_user` and `django_session` next to edge-auth's tables in the bench
// database, and logins written as `django.contrib.auth.login()` leaves them (a
// `django_session` row whose data, signed with the key Django derives from
// SECRET_KEY, holds the user's id, backend and session auth hash). No Django
// runs here: the Worker verifies every session as Django would, so a wrong
// one is a 401 and a failed run, never a faster one. `npm run bench:django`
// makes its sessions with real Django instead.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { hex, hmacSha256, importHmacKey, utf8 } from '../src/django/encoding';
import { deriveDjangoKeys, formatDjangoKeys } from '../src/django/keys';
import { djangoSessionId, importSessionIdKey } from '../src/django/session-id';
import { deflate, djangoDumps } from '../test/fixtures/django-sessions/sign';
import type { Login } from '../tools/harness/logins';
import { ROOT } from '../tools/harness/workerd';

/** `django.contrib.sessions` migration 0001, as `manage.py migrate` leaves it on PostgreSQL. */
const SESSION_TABLE_SQL = `CREATE TABLE django_session (
  session_key varchar(40) NOT NULL PRIMARY KEY, session_data text NOT NULL, expire_date timestamptz NOT NULL);
CREATE INDEX django_session_expire_date_a5c62663 ON django_session (expire_date)`;
const BACKEND = 'django.contrib.auth.backends.ModelBackend';
/** Every user's password hash: only its session auth hash matters here, never a login form. */
const PASSWORD = 'pbkdf2_sha256$260000$bench$not-a-password-hash-bench-only';
/** Django's default SESSION_COOKIE_AGE, two weeks. */
const SESSION_AGE_SECONDS = 1_209_600;

/**
 * The bindings of a Worker in Django session mode for `secretKey`: the derived keys as
 * `edge-auth django-keys` prints them (never SECRET_KEY itself) and a new session-id key; with the
 * raw keys, to sign sessions as that Django would.
 *
 * @example
 * const { bindings } = await djangoKeyBindings(secretKey); startWorkerd({ script, bindings: { ...bindings, … } });
 */
export async function djangoKeyBindings(secretKey: string) {
  const keys = await deriveDjangoKeys(secretKey);
  const idKey = randomBytes(32);
  // `NAME=value` lines, exactly what goes to `wrangler secret bulk`.
  const printed = formatDjangoKeys(keys)
    .trim()
    .split('\n')
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]);
  return {
    bindings: {
      SESSION_MODE: 'django',
      ...Object.fromEntries(printed),
      DJANGO_SESSION_ID_KEY: idKey.toString('base64url'),
    } as Record<string, string>,
    keys,
    idKey: await importSessionIdKey(idKey),
  };
}

/**
 * Creates Django's two tables in `pool`'s database, with a new SECRET_KEY of its own; returns the
 * Worker's Django bindings (derived keys only, never SECRET_KEY) and the user and login makers.
 *
 * @example
 * const django = await djangoLogins(pool);
 * const [login] = await django.login(await django.addUsers(['ada']), 'r1'); // login.token: the sessionid cookie
 */
export async function djangoLogins(pool: pg.Pool) {
  await pool.query(await readFile(join(ROOT, 'examples/django/auth_user.sql'), 'utf8'));
  await pool.query(SESSION_TABLE_SQL);
  const { bindings, keys, idKey } = await djangoKeyBindings(randomBytes(50).toString('base64url'));
  const authHashKey = await importHmacKey(keys.authHash[0] as Uint8Array);
  const sessionKey = keys.session[0] as Uint8Array;
  // get_session_auth_hash(): salted_hmac(key_salt, password) under the derived key, hex.
  const authHash = hex(await hmacSha256(authHashKey, utf8(PASSWORD)));
  return {
    bindings,
    /** Inserts users named `names` (as `createuser` would); resolves to the same names. */
    async addUsers(names: string[]): Promise<string[]> {
      await pool.query(
        `INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
         SELECT $2, false, u, '', '', '', false, true, now() FROM unnest($1::text[]) AS u`,
        [names, PASSWORD],
      );
      return names;
    },
    /** One new session per user named; each login's token is the `sessionid` cookie's value. */
    async login(names: string[], _tag: string): Promise<Login[]> {
      const { rows } = await pool.query<{ id: number; username: string }>(
        'SELECT id, username FROM auth_user WHERE username = ANY($1::text[])',
        [names],
      );
      const ids = new Map(rows.map((r) => [r.username, String(r.id)]));
      const logins = await Promise.all(
        names.map(async (name) => {
          const userId = ids.get(name);
          if (userId === undefined) throw new Error(`no Django user named ${name}`);
          // What login() stores, serialised as Django's JSONSerializer does (no spaces).
          const data = utf8(
            JSON.stringify({ _auth_user_id: userId, _auth_user_backend: BACKEND, _auth_user_hash: authHash }),
          );
          // signing.dumps(compress=True) compresses only when that saves more than one byte.
          const compress = (await deflate(data)).length < data.length - 1;
          const signedAt = Math.floor(Date.now() / 1000);
          const value = await djangoDumps(data, sessionKey, { signedAt, compress });
          // get_random_string(32, 'abcdefghijklmnopqrstuvwxyz0123456789'), as SessionBase makes keys.
          const key = Array.from(randomBytes(32), (b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join(
            '',
          );
          return { userId, sessionId: await djangoSessionId(idKey, key), token: key, value };
        }),
      );
      await pool.query(
        `INSERT INTO django_session (session_key, session_data, expire_date)
         SELECT k, v, now() + make_interval(secs => $3) FROM unnest($1::text[], $2::text[]) AS t(k, v)`,
        [logins.map((l) => l.token), logins.map((l) => l.value), SESSION_AGE_SECONDS],
      );
      return logins.map(({ value: _, ...login }) => login);
    },
  };
}

export type DjangoLogins = Awaited<ReturnType<typeof djangoLogins>>;
