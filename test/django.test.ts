import { readFile } from 'node:fs/promises';
import { neon, neonConfig } from '@neondatabase/serverless';
import { exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../dev/tokens';
import { migrate } from '../scripts/migrate';
import type { UsersTableConfig } from '../src/config/database';
import { issueSession } from '../src/session/issue';
import { sessionSql } from '../src/session/sql';
import { bearer, eventually, type Stack, startStack, TEST_SECRET } from './support/stack';

/**
 * edge-auth in front of a Django database: Django's own auth_user (integer
 * ids, '' for "no email"), 200,000 users, edge-auth's sessions migrated to
 * reference it. The statements must use the primary keys, the Worker must
 * authenticate and touch through them, and a `sub` that cannot be an integer
 * id must be refused without a cast error.
 */
const DJANGO: UsersTableConfig = { table: 'auth_user', idType: 'integer', touchColumn: 'last_login' };
const DJANGO_ENV = { USERS_TABLE: 'auth_user', USER_ID_TYPE: 'integer' };
const USERS = 200_000;

let stack: Stack;
/** What migrate() said about users tables that do not fit, before the real migration. */
const refusals: Record<string, string> = {};

beforeAll(async () => {
  stack = await startStack();
  neonConfig.fetchEndpoint = stack.neon.endpoint;
  // The stack migrated edge-auth's default schema; a Django database has none of it.
  await stack.pool.query(`DROP TABLE sessions, users, schema_migrations, last_login_writes CASCADE;
    DROP FUNCTION record_last_login_write()`);
  await stack.pool.query(
    await readFile(new URL('../examples/django/auth_user.sql', import.meta.url), 'utf8'),
  );
  // Even ids have Django's empty email ('' = none), odd ones an address.
  await stack.pool.query(
    `INSERT INTO auth_user (password, last_login, is_superuser, username, first_name, last_name, email,
                            is_staff, is_active, date_joined)
     SELECT 'pbkdf2_sha256$870000$salt$hash', NULL, false, 'user' || g, 'Ada', 'Lovelace',
            CASE WHEN g % 2 = 0 THEN '' ELSE 'user' || g || '@example.com' END, false, true, now()
     FROM generate_series(1, $1::integer) g`,
    [USERS],
  );
  // Instrumentation only (the table keeps Django's DDL): one row per user row an UPDATE changed.
  await stack.pool.query(`CREATE TABLE auth_user_touches (user_id integer, last_login boolean, last_seen boolean);
    CREATE FUNCTION log_auth_user_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      INSERT INTO auth_user_touches VALUES (NEW.id, OLD.last_login IS DISTINCT FROM NEW.last_login,
        to_jsonb(OLD)->'last_seen' IS DISTINCT FROM to_jsonb(NEW)->'last_seen');
      RETURN NEW; END $$;
    CREATE TRIGGER auth_user_touch AFTER UPDATE ON auth_user FOR EACH ROW EXECUTE FUNCTION log_auth_user_touch();
    CREATE VIEW django_users AS SELECT * FROM auth_user`);

  const refused = (users: Partial<UsersTableConfig>) =>
    migrate(stack.db.url, { users: { ...DJANGO, ...users } }).then(
      () => 'applied',
      (err: Error) => err.message,
    );
  refusals.text = await refused({ idType: 'text' });
  refusals.missing = await refused({ table: 'auth_users' });
  refusals.view = await refused({ table: 'django_users' });
  refusals.lastSeen = await refused({ touchColumn: 'last_seen' });
  refusals.tablesAfter = (
    await stack.pool.query("SELECT to_regclass('sessions') IS NULL AS none")
  ).rows[0].none;
  refusals.migrated = (await migrate(stack.db.url, { users: DJANGO })).join(',');

  // A realistic sessions table, so plans are chosen as in production: 200,000
  // sessions of 50,000 users, four devices each (bulk-42 belongs to user 42).
  await stack.pool.query(
    `INSERT INTO sessions (id, user_id, expires_at)
     SELECT 'bulk-' || g, (g - 1) % 50000 + 1, now() + interval '1 day' FROM generate_series(1, $1::integer) g`,
    [USERS],
  );
  await stack.pool.query('ANALYZE auth_user; ANALYZE sessions');
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

/** Rows of auth_user the Worker's UPDATEs changed, by column. */
async function touches(userId: number) {
  const { rows } = await stack.pool.query(
    'SELECT count(*) FILTER (WHERE last_login)::int AS "lastLogin", count(*) FILTER (WHERE last_seen)::int AS "lastSeen" FROM auth_user_touches WHERE user_id = $1',
    [userId],
  );
  return rows[0] as { lastLogin: number; lastSeen: number };
}

async function plan(text: string, params: unknown[]): Promise<string> {
  const { rows } = await stack.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, params);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

describe('edge-auth on a Django database (auth_user, integer ids)', () => {
  it("migrates sessions to reference Django's auth_user by integer id, and refuses tables that do not fit", async () => {
    expect(refusals.text).toBe('"auth_user".id is integer, not text: set USER_ID_TYPE=integer');
    expect(refusals.missing).toMatch(/^USERS_TABLE "auth_users" does not exist: create it first/);
    expect(refusals.view).toBe('USERS_TABLE "django_users" has no primary key "id"');
    expect(refusals.lastSeen).toBe(
      'TOUCH_COLUMN "last_seen" must be a timestamptz column of "auth_user"; add it with: ALTER TABLE "auth_user" ADD COLUMN "last_seen" timestamptz NULL;',
    );
    expect(refusals.tablesAfter).toBe(true); // a refusal applies nothing
    expect(refusals.migrated).toBe('0001_init.sql');

    const { rows } = await stack.pool.query(`SELECT
        to_regclass('users') IS NULL AS no_users_table,
        (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
          WHERE attrelid = 'sessions'::regclass AND attname = 'user_id') AS user_id_type,
        (SELECT confrelid::regclass::text || ' ' || confdeltype::text FROM pg_constraint
          WHERE conrelid = 'sessions'::regclass AND contype = 'f') AS fk,
        (SELECT count(*)::int FROM auth_user) AS users`);
    expect(rows[0]).toEqual({
      no_users_table: true,
      user_id_type: 'integer',
      fk: 'auth_user c',
      users: USERS,
    });
  });

  it('the session SELECT, the touch UPDATE and the revoke are index scans on the primary keys', async () => {
    const sql = sessionSql(DJANGO);
    const load = await plan(sql.load, ['bulk-42']);
    expect(load).toContain('Index Scan using sessions_pkey on sessions');
    expect(load).toContain('Index Scan using auth_user_pkey on auth_user');
    const touch = await plan(sql.touch, ['42', 300]);
    expect(touch).toContain('Index Scan using auth_user_pkey on auth_user');
    const revoke = await plan(sql.revoke, ['bulk-42', '42']);
    expect(revoke).toContain('Index Scan using sessions_pkey on sessions');
    for (const p of [load, touch, revoke]) expect(p).not.toContain('Seq Scan');
    // What it replaces: comparing the column as text reads all 200,000 rows.
    expect(await plan('UPDATE auth_user SET last_login = now() WHERE id::text = $1', ['42'])).toContain(
      'Seq Scan on auth_user',
    );
  });

  it('authenticates sub "42", forwards identity headers (no X-Auth-Email for Django\'s empty email), writes last_login once', async () => {
    const token = await stack.session('dj-42', '42');
    const worker = await stack.worker(DJANGO_ENV);
    stack.neon.resetStats();
    const res = await worker.fetch('/hello', bearer(token));
    expect(res.status).toBe(200);
    const { identity } = (await res.json()) as { identity: Record<string, string> };
    expect(identity).toEqual({
      'x-auth-user-id': '42',
      'x-auth-session-id': 'dj-42',
      'x-auth-username': 'user42',
      'x-auth-is-staff': 'false',
      'x-auth-is-superuser': 'false',
    });
    await eventually(
      () => touches(42),
      (t) => t.lastLogin === 1,
    );
    await eventually(
      () => stack.redis.exists(`${stack.prefix}session:dj-42`),
      (n) => n === 1,
    );
    // More requests, in this isolate (L1) and in another one (Redis): nothing more is written.
    const other = await stack.worker(DJANGO_ENV);
    const more = await Promise.all([
      ...Array.from({ length: 5 }, () => worker.fetch('/auth/session', bearer(token))),
      ...Array.from({ length: 5 }, () => other.fetch('/auth/session', bearer(token))),
    ]);
    expect(more.map((r) => r.status)).toEqual(Array(10).fill(200));
    const session = (await more[0]!.json()) as { user: { id: string; email: string | null } };
    expect(session.user).toMatchObject({ id: '42', email: null });
    expect(await touches(42)).toEqual({ lastLogin: 1, lastSeen: 0 });
    const { rows } = await stack.pool.query(
      'SELECT last_login IS NOT NULL AS set FROM auth_user WHERE id = 42',
    );
    expect(rows[0].set).toBe(true);
    expect(stack.neon.stats().statements).toEqual({ SELECT: 1, UPDATE: 1 });
  });

  it('refuses a sub that is no integer id with 401 invalid_token: logout sends no statement, a session read never casts it', async () => {
    const worker = await stack.worker(DJANGO_ENV);
    for (const [i, sub] of ['abc', '1.5', '2147483648', '042'].entries()) {
      // The real session of user 42, and one that does not exist.
      for (const sid of ['bulk-42', `dj-none-${i}`]) {
        const token = await mintToken({ secret: TEST_SECRET, userId: sub, sessionId: sid });
        stack.neon.resetStats();
        const logout = await worker.fetch('/auth/logout', { method: 'POST', ...bearer(token) });
        expect(logout.status, `${sub} ${sid}`).toBe(401);
        expect(await logout.json()).toMatchObject({ error: 'invalid_token' });
        expect(stack.neon.stats().statements).toEqual({});
        const read = await worker.fetch('/auth/session', bearer(token));
        expect(read.status, `${sub} ${sid}`).toBe(401);
        expect(await read.json()).toMatchObject({ error: 'invalid_token' });
        expect(stack.neon.stats().statements).toEqual({});
      }
    }
    const { rows } = await stack.pool.query("SELECT revoked_at FROM sessions WHERE id = 'bulk-42'");
    expect(rows[0].revoked_at).toBeNull();
  });

  it('with TOUCH_COLUMN=last_seen touches last_seen and leaves last_login alone', async () => {
    await stack.pool.query('ALTER TABLE auth_user ADD COLUMN last_seen timestamptz NULL');
    const worker = await stack.worker({ ...DJANGO_ENV, TOUCH_COLUMN: 'last_seen' });
    const token = await stack.session('dj-43', '43');
    const res = await worker.fetch('/hello', bearer(token));
    expect(res.status).toBe(200);
    const { identity } = (await res.json()) as { identity: Record<string, string> };
    expect(identity['x-auth-email']).toBe('user43@example.com');
    await eventually(
      () => touches(43),
      (t) => t.lastSeen === 1,
    );
    expect(await touches(43)).toEqual({ lastLogin: 0, lastSeen: 1 });
    const { rows } = await stack.pool.query(
      'SELECT last_login, last_seen IS NOT NULL AS seen FROM auth_user WHERE id = 43',
    );
    expect(rows[0]).toEqual({ last_login: null, seen: true });
  });

  it('issueSession() through neon(): the row and the token agree, jose verifies it, the Worker authenticates it', async () => {
    const issued = await issueSession({
      sql: neon(stack.db.url),
      userId: 7,
      lifetimeSeconds: 600,
      data: { via: 'issueSession' },
      key: { secret: TEST_SECRET },
    });
    const { payload, protectedHeader } = await jwtVerify(
      issued.token,
      new TextEncoder().encode(TEST_SECRET),
      {
        algorithms: ['HS256'],
      },
    );
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(Object.keys(payload).sort()).toEqual(['exp', 'iat', 'sid', 'sub']);
    expect(payload).toMatchObject({ sub: '7', sid: issued.sessionId });
    expect(payload.exp! - payload.iat!).toBe(600);
    const { rows } = await stack.pool.query(
      'SELECT user_id, extract(epoch FROM expires_at)::float8 AS exp FROM sessions WHERE id = $1',
      [issued.sessionId],
    );
    expect(rows[0]).toEqual({ user_id: 7, exp: payload.exp });
    expect(issued.expiresAt.getTime()).toBe(payload.exp! * 1000);

    const worker = await stack.worker(DJANGO_ENV);
    const res = await worker.fetch('/auth/session', bearer(issued.token));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      user: { id: '7', username: 'user7', email: 'user7@example.com' },
      session: { id: issued.sessionId, data: { via: 'issueSession' } },
    });
  });

  it('key rotation with a JWKS: tokens signed with the old and the new private key (by kid) both authenticate', async () => {
    const keys = await Promise.all(
      ['2026-10', '2026-11', 'never-published'].map(async (kid) => {
        const pair = await generateKeyPair('ES256', { extractable: true });
        return {
          kid,
          privateJwk: { ...(await exportJWK(pair.privateKey)), kid },
          publicJwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256', use: 'sig' },
        };
      }),
    );
    const jwks = JSON.stringify({ keys: keys.slice(0, 2).map((k) => k.publicJwk) });
    const worker = await stack.worker({ ...DJANGO_ENV, JWT_SECRET: undefined, JWT_PUBLIC_JWKS: jwks });
    const statuses: number[] = [];
    for (const key of keys) {
      const { token } = await issueSession({
        sql: stack.pool,
        userId: 9,
        lifetimeSeconds: 60,
        key: { privateKey: key.privateJwk, alg: 'ES256' },
      });
      statuses.push((await worker.fetch('/auth/session', bearer(token))).status);
    }
    expect(statuses).toEqual([200, 200, 401]);
  });
});
