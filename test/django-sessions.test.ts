import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { djangoSql } from '../src/django/sql';
import { createLogBook, leaks } from './support/logs';
import { eventually, type Stack, startStack } from './support/stack';

/**
 * Django session mode in workerd on real Redis and PostgreSQL: the golden
 * sessions real Django 3.2, 4.2 and 5.2 made (test/fixtures/django-sessions,
 * with the script that made them) stored in `django_session` and
 * `auth_user`, then judged by the Worker through its HTTP surface. The
 * signed-cookie cases carry fixed timestamps, so they are judged with a
 * controlled clock in src/django/*.test.ts; here the rows are given a life
 * relative to now, and every other rule is the Worker's.
 */
interface Case {
  id: string;
  backend: 'db' | 'signed_cookies';
  sessionKey?: string;
  value: string;
  user?: { id: string; isActive: boolean; password: string };
  edge: { ok: boolean; userId?: string; reason?: string };
}
interface Fixture {
  django: string;
  settings: { AUTHENTICATION_BACKENDS: string[] };
  keys: Record<string, string>;
  cases: Case[];
}
const VERSIONS = ['3.2', '4.2', '5.2'];
const fixture = async (version: string) =>
  JSON.parse(
    await readFile(new URL(`./fixtures/django-sessions/django-${version}.json`, import.meta.url), 'utf8'),
  ) as Fixture;

const md5Of = (text: string) => createHash('md5').update(text).digest('hex');

let stack: Stack;
const book = createLogBook();
const ID_KEY = randomBytes(32).toString('base64url');

beforeAll(async () => {
  stack = await startStack();
  // Django's tables as `manage.py migrate` leaves them (sessions: django/contrib/sessions/migrations/0001).
  await stack.pool.query(
    await readFile(new URL('../examples/django/auth_user.sql', import.meta.url), 'utf8'),
  );
  await stack.pool.query(`CREATE TABLE django_session (
      session_key varchar(40) NOT NULL PRIMARY KEY, session_data text NOT NULL, expire_date timestamptz NOT NULL);
    CREATE INDEX django_session_expire_date_a5c62663 ON django_session (expire_date)`);
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

/** The case's user row, as it is at request time (a case may change a shared user's password). */
async function putUser(user: NonNullable<Case['user']>) {
  await stack.pool.query(
    `INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
     VALUES ($1, $2, false, $4, 'Ada', 'Lovelace', '', false, $3, now())
     ON CONFLICT (id) DO UPDATE SET password = EXCLUDED.password, is_active = EXCLUDED.is_active`,
    [user.id, user.password, user.isActive, `user${user.id}`],
  );
}

/** The fixture's valid db session stored under a fresh session key, its user in place. */
async function liveSession(version: string) {
  const f = await fixture(version);
  const valid = f.cases.find((c) => c.id === 'db:valid')!;
  await putUser(valid.user!);
  const key = randomBytes(16).toString('hex');
  await stack.pool.query("INSERT INTO django_session VALUES ($1, $2, now() + interval '1 day')", [
    key,
    valid.value,
  ]);
  return { f, valid, key };
}

function djangoEnv(f: Fixture) {
  return {
    SESSION_MODE: 'django',
    JWT_SECRET: undefined,
    DJANGO_SESSION_KEYS: f.keys.DJANGO_SESSION_KEYS,
    DJANGO_SIGNED_COOKIE_KEYS: f.keys.DJANGO_SIGNED_COOKIE_KEYS,
    DJANGO_AUTH_HASH_KEYS: f.keys.DJANGO_AUTH_HASH_KEYS,
    DJANGO_SESSION_ID_KEY: ID_KEY,
    DJANGO_AUTHENTICATION_BACKENDS: f.settings.AUTHENTICATION_BACKENDS.join(','),
  };
}

describe.each(VERSIONS)("sessions made by Django %s's db backend, judged by the Worker", (version) => {
  it('every case answers as Django would (or as the edge deliberately stricter), never a 500', async () => {
    const f = await fixture(version);
    const worker = await book.worker(stack, djangoEnv(f));
    const cases = f.cases.filter((c) => c.backend === 'db');
    expect(cases.length).toBeGreaterThan(15);
    const verdicts: Record<string, number> = {};
    for (const c of cases) {
      if (c.user) await putUser(c.user);
      if (c.sessionKey && c.edge.reason !== 'no-row') {
        const expired = c.edge.reason === 'expired-row';
        await stack.pool.query(
          `INSERT INTO django_session VALUES ($1, $2, now() + make_interval(secs => $3))
           ON CONFLICT (session_key) DO UPDATE SET session_data = EXCLUDED.session_data, expire_date = EXCLUDED.expire_date`,
          [c.sessionKey, c.value, expired ? -3600 : 86_400],
        );
      }
      const res = await worker.fetch('/auth/session', {
        headers: { Cookie: `sessionid=${c.sessionKey ?? c.value}` },
      });
      verdicts[c.id] = res.status;
      const expected = c.edge.ok ? 200 : 401;
      expect(res.status, c.id).toBe(expected);
      if (c.edge.ok) {
        const body = (await res.json()) as { user: { id: string }; session: { id: string } };
        expect(body.user.id, c.id).toBe(c.edge.userId);
        // The session is known by a keyed, non-reversible id, never its key.
        expect(body.session.id, c.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
        expect(body.session.id, c.id).not.toContain(c.sessionKey);
      } else {
        expect(res.headers.get('WWW-Authenticate'), c.id).toMatch(
          /^Bearer realm="edge-auth", error="invalid_token"/,
        );
      }
    }
    expect(Object.values(verdicts).filter((s) => s === 200).length).toBeGreaterThan(2);
  });
});

describe('Django session mode through the whole surface', () => {
  it('a cold miss costs two primary-key reads, a hit none; the touch writes last_login once; no key leaks', async () => {
    const { f, valid, key } = await liveSession('4.2');
    // Earlier cases touched this user: its interval has passed (marker gone, last_login cleared).
    await stack.redis.del(`${stack.prefix}touch:${valid.user!.id}`);
    await stack.pool.query('UPDATE auth_user SET last_login = NULL WHERE id = $1', [valid.user!.id]);
    const worker = await book.worker(stack, djangoEnv(f));
    stack.neon.resetStats();
    const cookie = { headers: { Cookie: `csrftoken=x; sessionid=${key}` } };
    const first = await worker.fetch('/orders', cookie);
    expect(first.status).toBe(200);
    const seen = stack.origin.seen.at(-1)!;
    // Django's cookie is Django's: forwarded as sent; the identity is edge-auth's.
    expect(seen.headers.cookie).toBe(`csrftoken=x; sessionid=${key}`);
    expect(seen.headers['x-auth-user-id']).toBe(valid.edge.userId);
    expect(String(seen.headers['x-auth-session-id'])).not.toContain(key);
    await eventually(
      async () => stack.neon.stats().statements,
      (s) => (s.UPDATE ?? 0) === 1,
    );
    expect(stack.neon.stats().statements).toEqual({ SELECT: 2, UPDATE: 1 });
    for (let i = 0; i < 5; i++) expect((await worker.fetch('/orders', cookie)).status).toBe(200);
    expect(stack.neon.stats().statements).toEqual({ SELECT: 2, UPDATE: 1 });
    // No session key in any Redis key or value, any header the origin saw, or any log line.
    const redisKeys = (await stack.redis.keys(`${stack.prefix}*`)) as string[];
    expect(redisKeys.length).toBeGreaterThan(0);
    for (const k of redisKeys) {
      expect(k).not.toContain(key);
      expect(String(await stack.redis.get(k))).not.toContain(key);
    }
    expect(JSON.stringify(stack.origin.seen.map((s) => ({ ...s.headers, cookie: undefined })))).not.toContain(
      key,
    );
    await book.settle();
    expect(leaks(book.lines(), { 'session key': key })).toEqual([]);
  });

  it('both statements of a cold miss are primary-key index scans on large tables', async () => {
    await stack.pool.query(
      `INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
       SELECT 1000 + g, 'pbkdf2_sha256$x', false, 'bulk' || g, '', '', '', false, true, now() FROM generate_series(1, 100000) g;
       INSERT INTO django_session SELECT md5(g::text), 'x', now() + interval '1 day' FROM generate_series(1, 100000) g;
       ANALYZE auth_user; ANALYZE django_session`,
    );
    const sql = djangoSql();
    const plan = async (text: string, param: string) =>
      (await stack.pool.query(`EXPLAIN ${text}`, [param])).rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(await plan(sql.session, md5Of('42'))).toMatch(
      /Index Scan using django_session_pkey on django_session/,
    );
    expect(await plan(sql.user, '50042')).toMatch(/Index Scan using auth_user_pkey on auth_user/);
  });

  it("POST /auth/logout deletes the row as Django's logout does; the key is refused at once", async () => {
    const { f, key } = await liveSession('5.2');
    const worker = await book.worker(stack, djangoEnv(f));
    const cookie = `sessionid=${key}`;
    expect((await worker.fetch('/auth/session', { headers: { Cookie: cookie } })).status).toBe(200);
    const out = await worker.fetch('/auth/logout', {
      method: 'POST',
      headers: { Cookie: cookie, 'Sec-Fetch-Site': 'same-origin' },
    });
    expect(out.status).toBe(204);
    expect(
      (await stack.pool.query('SELECT 1 FROM django_session WHERE session_key = $1', [key])).rowCount,
    ).toBe(0);
    expect((await worker.fetch('/auth/session', { headers: { Cookie: cookie } })).status).toBe(401);
    const again = await worker.fetch('/auth/logout', {
      method: 'POST',
      headers: { Cookie: cookie, 'Sec-Fetch-Site': 'same-origin' },
    });
    expect(again.status).toBe(401);
    // A Bearer header is not Django's credential: it neither authenticates nor exempts a cross-site logout.
    const bearerOnly = await worker.fetch('/auth/session', { headers: { Authorization: `Bearer ${key}` } });
    expect(bearerOnly.status).toBe(401);
  });
});
