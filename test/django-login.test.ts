import { execFile, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../scripts/migrate';
import { bearer, type Stack, startStack, TEST_SECRET } from './support/stack';

/**
 * How sessions are born on the Django side: examples/django/accounts/edge_auth.py run
 * for real — Debian's python3 with PyJWT (python3-jwt) and psycopg2
 * (python3-psycopg2, a DB-API connection like Django's) — against the stack's
 * PostgreSQL holding Django's auth_user, and the tokens it mints authenticated
 * by the Worker in workerd. Skipped only where python3 itself is absent; a
 * missing module is a failure that names the package. The whole example project,
 * under Django and gunicorn, runs in test/django-example.test.ts.
 */
const PYTHON = ['/usr/bin/python3', 'python3'].find((bin) => spawnSync(bin, ['--version']).status === 0);
const EXAMPLE_DIR = fileURLToPath(new URL('../examples/django/', import.meta.url));
/** The example's app: edge_auth.py imports nothing of Django, so it runs here on its own. */
const APP_DIR = `${EXAMPLE_DIR}accounts/`;
const DJANGO_ENV = { USERS_TABLE: 'auth_user', USER_ID_TYPE: 'integer' };

// What a Django view does, minus Django: the helper with a DB-API connection in autocommit.
const SCRIPT = `
import json, os, sys
sys.path.insert(0, os.environ["APP_DIR"])
try:
    import jwt, psycopg2
except ImportError as err:
    sys.exit(f"{err}: apt-get install python3-jwt python3-psycopg2")
from edge_auth import issue_session, revoke_all_sessions
conn = psycopg2.connect(os.environ["DATABASE_URL"])
conn.autocommit = True
command, user_id = sys.argv[1], int(sys.argv[2])
if command == "issue":
    issued = issue_session(conn, user_id, int(sys.argv[3]), os.environ["EDGE_AUTH_SECRET"], data={"via": "django"})
    print(json.dumps({"token": issued.token, "sessionId": issued.session_id,
                      "expiresAt": issued.expires_at.isoformat()}))
else:
    print(json.dumps({"revoked": revoke_all_sessions(conn, user_id)}))
`;

import { aptInstall, canAptInstall } from './support/apt';

let stack: Stack;

async function python<T>(args: string[]): Promise<T> {
  try {
    const { stdout } = await promisify(execFile)(PYTHON!, ['-c', SCRIPT, ...args], {
      // The secret and the URL travel in the environment, never on a command line.
      env: {
        PATH: process.env.PATH,
        PYTHONDONTWRITEBYTECODE: '1',
        APP_DIR,
        DATABASE_URL: stack.db.url,
        EDGE_AUTH_SECRET: TEST_SECRET,
      },
    });
    return JSON.parse(stdout) as T;
  } catch (err) {
    throw new Error(`python3 ${args.join(' ')} failed: ${(err as { stderr?: string }).stderr ?? err}`);
  }
}

describe.skipIf(!PYTHON)(
  PYTHON
    ? 'Django login helper (python3, PyJWT, psycopg2) → edge-auth in workerd'
    : 'Django login helper — SKIPPED: python3 is not installed',
  () => {
    beforeAll(async () => {
      // A fresh Debian machine has python3 but not these modules: install them like the proxies.
      const missing = spawnSync(PYTHON!, ['-c', 'import jwt, psycopg2']).status !== 0;
      if (missing && (await canAptInstall())) await aptInstall(['python3-jwt', 'python3-psycopg2']);
      stack = await startStack();
      await stack.pool.query(`DROP TABLE sessions, users, schema_migrations, last_login_writes CASCADE;
        DROP FUNCTION record_last_login_write()`);
      await stack.pool.query(
        await readFile(new URL('../examples/django/auth_user.sql', import.meta.url), 'utf8'),
      );
      await stack.pool.query(`INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,
                                is_staff, is_active, date_joined)
        SELECT '!', false, 'user' || g, '', '', CASE WHEN g % 2 = 0 THEN '' ELSE 'user' || g || '@example.com' END,
               false, true, now()
        FROM generate_series(1, 1000) g`);
      await migrate(stack.db.url, {
        users: { table: 'auth_user', idType: 'integer', touchColumn: 'last_login' },
      });
    }, 240_000); // an apt-get install on a fresh machine takes a while
    afterAll(async () => {
      await stack?.stop();
    });

    it('issue_session() inserts the row and signs sub, sid, exp, iat with PyJWT; jose and the Worker accept it', async () => {
      const issued = await python<{ token: string; sessionId: string; expiresAt: string }>([
        'issue',
        '42',
        '600',
      ]);
      const { payload, protectedHeader } = await jwtVerify(
        issued.token,
        new TextEncoder().encode(TEST_SECRET),
        {
          algorithms: ['HS256'],
        },
      );
      expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
      expect(Object.keys(payload).sort()).toEqual(['exp', 'iat', 'sid', 'sub']);
      expect(payload).toMatchObject({ sub: '42', sid: issued.sessionId });
      expect(payload.exp! - payload.iat!).toBe(600);
      expect(Date.parse(issued.expiresAt)).toBe(payload.exp! * 1000);
      expect(issued.sessionId).toMatch(/^[A-Za-z0-9_-]{32}$/);
      const { rows } = await stack.pool.query(
        'SELECT user_id, extract(epoch FROM expires_at)::float8 AS exp, data FROM sessions WHERE id = $1',
        [issued.sessionId],
      );
      expect(rows[0]).toEqual({ user_id: 42, exp: payload.exp, data: { via: 'django' } });

      const worker = await stack.worker(DJANGO_ENV);
      const res = await worker.fetch('/hello', bearer(issued.token));
      expect(res.status).toBe(200);
      const { identity } = (await res.json()) as { identity: Record<string, string> };
      expect(identity).toMatchObject({ 'x-auth-user-id': '42', 'x-auth-session-id': issued.sessionId });
      expect(identity['x-auth-email']).toBeUndefined(); // Django's '' is "no email"
      const session = await worker.fetch('/auth/session', bearer(issued.token));
      expect(await session.json()).toMatchObject({
        session: { id: issued.sessionId, data: { via: 'django' } },
      });
    });

    it("revoke_all_sessions() revokes every live session of one user; the Worker then refuses them, not another user's", async () => {
      const mine = [await python<{ token: string }>(['issue', '7', '600'])];
      mine.push(await python<{ token: string }>(['issue', '7', '600']));
      const theirs = await python<{ token: string }>(['issue', '9', '600']);
      expect(await python(['revoke-all', '7'])).toEqual({ revoked: 2 });
      expect(await python(['revoke-all', '7'])).toEqual({ revoked: 0 });
      // No session cache: this Worker reads the database on every request.
      const worker = await stack.worker({ ...DJANGO_ENV, SESSION_CACHE_TTL_SECONDS: '0' });
      for (const { token } of mine) {
        const res = await worker.fetch('/auth/session', bearer(token));
        expect(res.status).toBe(401);
        expect(await res.json()).toMatchObject({ error: 'invalid_token', message: 'session revoked' });
      }
      expect((await worker.fetch('/auth/session', bearer(theirs.token))).status).toBe(200);
    });

    it('every Python file of the example compiles, even where Django is not installed', async () => {
      const files = readdirSync(EXAMPLE_DIR, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.py'))
        .map((f) => `${EXAMPLE_DIR}${f}`);
      expect(files.map((f) => f.slice(EXAMPLE_DIR.length)).sort()).toEqual(
        expect.arrayContaining([
          'accounts/edge_auth.py',
          'accounts/middleware.py',
          'accounts/views.py',
          'manage.py',
        ]),
      );
      const check = spawnSync(
        PYTHON!,
        ['-c', 'import sys\nfor f in sys.argv[1:]:\n    compile(open(f).read(), f, "exec")', ...files],
        { encoding: 'utf8' },
      );
      expect(check.stderr).toBe('');
      expect(check.status).toBe(0);
    });
  },
);
