import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jwtVerify } from 'jose';
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatVars } from '../dev/vars-file';
import { migrate } from '../scripts/migrate';
import { Browser, csrfTokenOf, type Fetcher } from './support/browser';
import {
  type ExampleDatabase,
  exampleDatabase,
  signIn,
  signOut,
  startExampleOrigin,
} from './support/django-example';
import type { DjangoOrigin } from './support/django-origin';
import { startNpmRunDev } from './support/npm-run-dev';
import { eventually, type Stack, startStack, TEST_SECRET } from './support/stack';

/**
 * The Django example (examples/django) run as a project (issue #15 item 4): Debian's Django 3.2
 * under gunicorn (threads) on a PostgreSQL database of the test's own, migrated by Django
 * (`manage.py migrate`) and then by edge-auth (`sessions` referencing `auth_user`), behind the
 * bundled Worker in workerd. A browser signs in through the form, step by step: the page and its
 * CSRF token, the POST, the private page, the logout. Once locally over http, once as in
 * production over https with the `__Host-` cookie. Then the same through `npm run dev`.
 */
const PUBLIC_PATHS = '/login,/static'; // examples/django/README.md
const WRONG_PASSWORD = 'Please enter a correct username and password.';

const MODES = [
  { name: 'locally over http', site: 'http://edge.test', secure: false, cookie: 'session', user: 'ada' },
  {
    name: 'in production over https',
    site: 'https://edge.test',
    secure: true,
    cookie: '__Host-session',
    user: 'grace',
  },
] as const;

let stack: Stack;
let db: ExampleDatabase;

const sessionRow = async (sid: string) =>
  (await db.pool.query('SELECT user_id, revoked_at FROM sessions WHERE id = $1', [sid])).rows[0];
const lastLogin = async (userId: number) =>
  (await db.pool.query('SELECT last_login FROM auth_user WHERE id = $1', [userId])).rows[0]?.last_login;

beforeAll(async () => {
  stack = await startStack();
  db = await exampleDatabase('django'); // Django's own tables, auth_user among them
  await migrate(db.url, { users: { table: 'auth_user', idType: 'integer', touchColumn: 'last_login' } });
}, 240_000); // apt-get installs Django, gunicorn, psycopg2 and PyJWT first when they are missing
afterAll(async () => {
  await stack?.stop();
  await db?.close();
});

describe.each(MODES)('the Django example behind edge-auth, $name', (mode) => {
  let django: DjangoOrigin;
  let userId: number;
  let browser: Browser;
  let send: Fetcher;
  let workerEnv: Record<string, string>;
  let sessionId = '';

  beforeAll(async () => {
    userId = await db.createUser(mode.user);
    django = await startExampleOrigin(db.env({ secure: mode.secure }));
    workerEnv = {
      ORIGIN_URL: django.url,
      PUBLIC_PATHS,
      USERS_TABLE: 'auth_user',
      USER_ID_TYPE: 'integer',
      SESSION_COOKIE: mode.cookie, // the name settings.py picks by default
      DATABASE_URL: db.url, // JWT_SECRET is TEST_SECRET, Django's EDGE_AUTH_SECRET
    };
    const { mf } = await stack.worker(workerEnv);
    send = (url, init) => mf.dispatchFetch(url, init as Parameters<Miniflare['dispatchFetch']>[1]);
    browser = new Browser(mode.site, send);
  }, 60_000);
  afterAll(async () => {
    await django?.stop();
  });

  /** gunicorn's output, where settings.py logs why Django refused a request. */
  const djangoLogged = (line: string) =>
    eventually(
      async () => django.output(),
      (out) => out.includes(line),
    );

  it('GET /login renders the sign-in form with a CSRF token and sets the CSRF cookie', async () => {
    const page = await browser.get('/login');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<form method="post" action="/login">');
    expect(page.body).toMatch(/<input type="password" name="password"/);
    expect(csrfTokenOf(page.body)).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(browser.cookies.get('csrftoken')).toMatchObject({ secure: mode.secure, sameSite: 'Lax' });
  });

  it('a POST without the token is still 403 (CSRF kept); with it, a wrong password re-renders the form', async () => {
    const forged = await browser.post('/login', { username: mode.user, password: 'x' });
    expect(forged.status).toBe(403);
    await djangoLogged('Forbidden (CSRF token missing or incorrect.): /login');
    const wrong = await signIn(browser, mode.user, 'not the password');
    expect(wrong.status).toBe(200);
    expect(wrong.body).toContain(WRONG_PASSWORD);
    expect(browser.cookies.has(mode.cookie)).toBe(false);
  });

  if (mode.secure) {
    it('over https CSRF also checks the Referer: the own site passes (USE_X_FORWARDED_HOST), another only if trusted', async () => {
      const token = csrfTokenOf((await browser.get('/login')).body);
      const fields = { csrfmiddlewaretoken: token, username: mode.user, password: 'not the password' };
      // The form's own page, https://edge.test/login: Django compares the Referer with X-Forwarded-Host.
      expect((await browser.post('/login', fields)).body).toContain(WRONG_PASSWORD);
      const evil = await browser.post('/login', fields, 'https://evil.test/login');
      expect(evil.status).toBe(403);
      await djangoLogged(
        'Referer checking failed - https://evil.test/login does not match any trusted origins.',
      );
      // DJANGO_CSRF_TRUSTED_ORIGINS=https://www.edge.test, in 3.2's host form: the view is reached.
      const trusted = await browser.post('/login', fields, 'https://www.edge.test/sign-in');
      expect(trusted.status).toBe(200);
      expect(trusted.body).toContain(WRONG_PASSWORD);
    });
  }

  it('POST /login with the token signs in: 302 to /account/ with the edge-auth cookie, a new CSRF token', async () => {
    await browser.get('/login');
    const csrfBefore = browser.cookies.get('csrftoken')?.value;
    const res = await signIn(browser, mode.user);
    expect(res.status, res.body).toBe(302);
    expect(res.headers.get('Location')).toBe('/account/');
    // Kept by the jar only if a browser would keep it (Secure over https; __Host-: Path=/, no Domain).
    const cookie = browser.cookies.get(mode.cookie);
    expect(cookie).toMatchObject({ secure: mode.secure, httpOnly: true, sameSite: 'Lax' });
    const { payload } = await jwtVerify(cookie!.value, new TextEncoder().encode(TEST_SECRET), {
      algorithms: ['HS256'],
    });
    expect(payload.sub).toBe(String(userId));
    sessionId = String(payload.sid);
    expect(await sessionRow(sessionId)).toEqual({ user_id: userId, revoked_at: null });
    expect(browser.cookies.get('csrftoken')?.value).not.toBe(csrfBefore);
  });

  it('GET /account/ with the cookie shows request.user and touches last_login; without it edge-auth answers 401', async () => {
    expect(await lastLogin(userId)).toBeNull(); // Django's login view does not write it: edge-auth does
    const res = await browser.get('/account/');
    expect(res.status, res.body).toBe(200);
    expect(res.body).toContain(`Signed in as <strong id="username">${mode.user}</strong>`);
    await eventually(
      () => lastLogin(userId),
      (at) => at !== null,
    );

    const stranger = new Browser(mode.site, send);
    const denied = await stranger.get('/account/');
    expect(denied.status).toBe(401);
    expect(denied.body).not.toContain('Signed in as');
  });

  it('POST /logout with the token revokes the session and deletes the cookie; the next request is 401', async () => {
    const token = browser.cookies.get(mode.cookie)!.value;
    expect((await browser.post('/logout', {})).status).toBe(403);
    expect(await sessionRow(sessionId)).toMatchObject({ revoked_at: null });

    const res = await signOut(browser);
    expect(res.status).toBe(302);
    expect(res.headers.get('Location')).toBe('/login');
    expect(browser.cookies.has(mode.cookie)).toBe(false);
    expect((await sessionRow(sessionId)).revoked_at).toBeInstanceOf(Date);
    expect((await browser.get('/account/')).status).toBe(401);

    // The old token too, once the caches let go of the session (SESSION_CACHE_TTL_SECONDS, then the
    // isolate's L1): its entry deleted as Redis would expire it, and a fresh isolate.
    await stack.redis.del(`${stack.prefix}session:${sessionId}`);
    const fresh = await stack.worker(workerEnv);
    const replay = await fresh.fetch('/account/', { headers: { Cookie: `${mode.cookie}=${token}` } });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: 'invalid_token', message: 'session revoked' });
  });
});

/** The "done when": `npm run dev -- --origin … --database-url …` in front of a local Django. */
describe('npm run dev in front of the Django example', () => {
  let devDb: ExampleDatabase;
  let django: DjangoOrigin;
  let dev: Awaited<ReturnType<typeof startNpmRunDev>>;
  let varsDir = '';

  beforeAll(async () => {
    devDb = await exampleDatabase('djangodev'); // Django's migrations only: npm run dev applies edge-auth's
    await devDb.createUser('linus');
    django = await startExampleOrigin(devDb.env({ secure: false, allowedHosts: '127.0.0.1' }));
    // The Worker's secret (Django's EDGE_AUTH_SECRET) and cookie name in a file, never on a command line.
    varsDir = mkdtempSync(join(tmpdir(), 'edge-auth-django-'));
    const varsFile = join(varsDir, '.dev.vars');
    writeFileSync(varsFile, formatVars({ JWT_SECRET: TEST_SECRET, SESSION_COOKIE: 'session' }), {
      mode: 0o600,
    });
    dev = await startNpmRunDev([
      ...['--origin', django.url, '--database-url', devDb.url, '--public', PUBLIC_PATHS],
      ...['--users-table', 'auth_user', '--user-id-type', 'integer', '--vars-file', varsFile],
    ]);
  }, 180_000);
  afterAll(async () => {
    await dev?.stop();
    await django?.stop();
    if (varsDir) rmSync(varsDir, { recursive: true, force: true });
    await devDb?.close();
  }, 30_000);

  it('signs in through the form, shows the account page, signs out; edge-auth answers 401 without the cookie', async () => {
    const browser = new Browser(dev.url, (url, init) => fetch(url, init));
    const res = await signIn(browser, 'linus');
    expect(res.status, res.body).toBe(302);
    expect(res.headers.get('Location')).toBe('/account/');
    expect(browser.cookies.get('session')).toMatchObject({ secure: false, httpOnly: true });
    const account = await browser.get('/account/');
    expect(account.status, account.body).toBe(200);
    expect(account.body).toContain('Signed in as <strong id="username">linus</strong>');
    expect((await new Browser(dev.url, (url, init) => fetch(url, init)).get('/account/')).status).toBe(401);

    expect((await signOut(browser)).status).toBe(302);
    expect(browser.cookies.has('session')).toBe(false);
    expect((await browser.get('/account/')).status).toBe(401);
    // npm run dev migrated Django's database: the session lives in `sessions`, now revoked.
    const { rows } = await devDb.pool.query(
      `SELECT s.revoked_at FROM sessions s JOIN auth_user u ON u.id = s.user_id WHERE u.username = 'linus'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].revoked_at).toBeInstanceOf(Date);
  });
});
