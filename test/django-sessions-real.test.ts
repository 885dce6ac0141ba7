import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveDjangoKeys, formatDjangoKeys } from '../src/django/keys';
import type { Browser } from './support/browser';
import { PASSWORD, signIn, signOut } from './support/django-example';
import { type DjangoSessions, startDjangoSessions } from './support/django-sessions-harness';
import { changePassword, type Engine, SECRET_KEYS } from './support/django-sessions-site';
import { startListeningWorker } from './support/listening-worker';
import { startProxy } from './support/proxies';

/**
 * Issue #16 items 4 and 6: examples/django-sessions, a Django project that keeps its own login,
 * logout, password change and sessions, run for real (Debian's Django 3.2 under gunicorn, on a
 * PostgreSQL database of the test's own that `manage.py migrate` made) behind the bundled Worker in
 * workerd with SESSION_MODE=django, once per SESSION_ENGINE; then a SECRET_KEY rotation, and Caddy
 * doing forward-auth. A revocation made by Django is seen within the stated bound
 * (SESSION_CACHE_TTL_SECONDS + the L1 TTL): here the L1 is off and the expiry of the shared cache's
 * entry is played by deleting it (once its write-back has landed), never by waiting.
 */
const ENGINES: Engine[] = ['db', 'cached_db', 'signed_cookies'];
const LOGIN = '/accounts/login/';
const NEW_PASSWORD = 'another correct horse battery';
const CHALLENGE = 'Bearer realm="edge-auth"';

let t: DjangoSessions;
beforeAll(async () => {
  // Per engine: ada browses and signs out, bob changes his password, eve is deactivated.
  t = await startDjangoSessions(ENGINES.flatMap((e) => ['ada', 'bob', 'eve'].map((n) => `${n}_${e}`)));
}, 240_000); // apt-get installs Django, gunicorn and psycopg2 first when they are missing
afterAll(async () => {
  await t?.stop();
});

describe.each(ENGINES)('a Django project with SESSION_ENGINE=%s behind edge-auth', (engine) => {
  let worker: Awaited<ReturnType<DjangoSessions['worker']>>;
  const user = (name: string) => `${name}_${engine}`;
  /** A browser signed in as `name` through Django's LoginView. */
  async function signedIn(name: string): Promise<Browser> {
    const b = t.browser(worker);
    const res = await signIn(b, user(name), PASSWORD, LOGIN);
    expect(res.status, res.body).toBe(302);
    expect((await t.echo(b)).username).toBe(user(name));
    return b;
  }

  beforeAll(async () => {
    worker = await t.worker(await t.bindings(engine, (await t.site(engine)).url));
  }, 60_000);

  it('LoginView (form, CSRF) signs in; the private view gets the user from X-Auth-User-Id; no cookie: 401', async () => {
    const b = t.browser(worker);
    const res = await signIn(b, user('ada'), PASSWORD, LOGIN);
    expect(res.status, res.body).toBe(302);
    expect(res.headers.get('Location')).toBe('/account/');
    expect(b.cookies.get('sessionid')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    const account = await b.get('/account/');
    expect(account.body).toContain(`Signed in as <strong id="username">${user('ada')}</strong>`);
    const seen = await t.echo(b);
    const id = await t.idOf(user('ada'));
    // request.user came from the header: Django did not read its session for it.
    expect(seen).toMatchObject({ user_id: id, username: user('ada'), session_read: false });
    expect(seen.headers.HTTP_X_AUTH_USER_ID).toBe(id);
    expect(seen.headers.HTTP_X_AUTH_SESSION_ID).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(seen.cookies).toContain('sessionid'); // Django's cookie reaches Django
    const stranger = await t.browser(worker).get('/account/');
    expect(stranger.status).toBe(401);
    expect(stranger.headers.get('WWW-Authenticate')).toBe(CHALLENGE);
  });

  it("a password change in one browser ends the other's session within the bound; the changer stays in", async () => {
    const [a, b] = [await signedIn('bob'), await signedIn('bob')];
    const changed = await changePassword(a, PASSWORD, NEW_PASSWORD);
    expect(changed.status, changed.body).toBe(302);
    expect(changed.headers.get('Location')).toBe('/accounts/password_change/done/');
    // b's session is untouched by Django (db: its row is still there): its auth hash no longer fits.
    if (engine !== 'signed_cookies') expect(await t.rowsOf(t.keyOf(b))).toBe(1);
    await t.expire(t.keyOf(b));
    expect((await b.get('/account/')).status).toBe(401);
    // update_session_auth_hash gave the changing browser a new key under the new hash.
    expect((await t.echo(a)).username).toBe(user('bob'));
  });

  it("LogoutView: the browser's cookie goes; a copy of it is refused within the bound", async () => {
    const b = await signedIn('ada');
    const key = t.keyOf(b);
    const out = await signOut(b, '/accounts/logout/');
    expect(out.status).toBe(302);
    expect(out.headers.get('Location')).toBe(LOGIN);
    expect(b.cookies.has('sessionid')).toBe(false);
    expect((await b.get('/account/')).status).toBe(401);
    if (engine === 'signed_cookies') {
      // Django keeps no record of a signed cookie: a copy stays valid for Django and the edge alike
      // (until SESSION_COOKIE_AGE or a password change); POST /auth/logout revokes one at the edge.
      expect((await t.copy(worker, key)).status).toBe(200);
      return;
    }
    expect(await t.rowsOf(key)).toBe(0);
    await t.expire(key);
    expect((await t.copy(worker, key)).status).toBe(401);
  });

  it("POST /auth/logout ends the session as Django's logout: refused at once, everywhere; again: 401", async () => {
    const b = await signedIn('ada');
    const key = t.keyOf(b);
    expect((await b.post('/auth/logout', {})).status).toBe(204);
    if (engine !== 'signed_cookies') expect(await t.rowsOf(key)).toBe(0);
    expect((await t.copy(worker, key)).status).toBe(401);
    // Another isolate (another edge location) reads the revoked entry.
    const other = await t.worker(await t.bindings(engine, 'http://127.0.0.1:9'));
    expect((await t.copy(other, key, '/auth/session')).status).toBe(401);
    const again = await worker.fetch('/auth/logout', {
      method: 'POST',
      headers: { Cookie: `sessionid=${key}`, 'Sec-Fetch-Site': 'same-origin' },
    });
    expect(again.status).toBe(401);
  });

  it('is_active = false is refused within the bound', async () => {
    const b = await signedIn('eve');
    await t.db.pool.query('UPDATE auth_user SET is_active = false WHERE username = $1', [user('eve')]);
    await t.expire(t.keyOf(b));
    expect((await b.get('/account/')).status).toBe(401);
  });

  if (engine !== 'signed_cookies') {
    it('cycle_key at login: a session planted before login never signs in; flush() ends a session', async () => {
      const planted = await t.plant(engine);
      expect(await t.rowsOf(planted)).toBe(1);
      const b = t.browser(worker);
      b.cookies.set('sessionid', { value: planted, secure: false, httpOnly: true, sameSite: 'Lax' });
      expect((await b.get('/account/')).status).toBe(401); // a session without a user
      expect((await signIn(b, user('ada'), PASSWORD, LOGIN)).status).toBe(302);
      const key = t.keyOf(b);
      expect(key).not.toBe(planted);
      expect(await t.rowsOf(planted)).toBe(0);
      expect((await t.copy(worker, planted)).status).toBe(401);
      expect((await t.echo(b)).username).toBe(user('ada'));

      await t.flush(engine, key);
      expect(await t.rowsOf(key)).toBe(0);
      await t.expire(key);
      expect((await b.get('/account/')).status).toBe(401);
    });
  }
});

describe('the keys the Worker gets', () => {
  it("docs/django.md's two lines in manage.py shell print what deriveDjangoKeys computes", async () => {
    const doc = await readFile(new URL('../docs/django.md', import.meta.url), 'utf8');
    const snippet = /<!-- snippet:start -->\n```python\n([\s\S]+?)```\n<!-- snippet:end -->/.exec(doc)?.[1];
    expect(snippet).toBeDefined();
    const printed = await t.db.shell(snippet ?? '', 'db'); // under SECRET_KEYS.current
    expect(printed).toBe(formatDjangoKeys(await deriveDjangoKeys(SECRET_KEYS.current)));
  });
});

describe('a SECRET_KEY rotation (Django 3.2 has no SECRET_KEY_FALLBACKS)', () => {
  it('an old session passes while the Worker lists the old key after the new one, and not once it is dropped', async () => {
    const before = await t.site('db');
    const b = t.browser(await t.worker(await t.bindings('db', before.url)));
    expect((await signIn(b, 'ada_db', PASSWORD, LOGIN)).status).toBe(302);
    expect((await t.echo(b)).username).toBe('ada_db');
    const key = t.keyOf(b);
    await before.stop();
    // Django restarted with the new SECRET_KEY; the Worker redeployed with [new, old], then [new].
    const after = await t.site('db', SECRET_KEYS.next);
    const both = await t.worker(await t.bindings('db', after.url, SECRET_KEYS.next, [SECRET_KEYS.current]));
    await t.expire(key);
    expect((await t.copy(both, key, '/auth/session')).status).toBe(200);
    const dropped = await t.worker(await t.bindings('db', after.url, SECRET_KEYS.next));
    await t.expire(key); // the live entry `both` wrote back, until its TTL
    expect((await t.copy(dropped, key, '/auth/session')).status).toBe(401);
    const fresh = t.browser(dropped);
    expect((await signIn(fresh, 'ada_db', PASSWORD, LOGIN)).status).toBe(302);
    expect((await t.echo(fresh)).username).toBe('ada_db');
  });
});

describe('forward-auth: Caddy asks edge-auth, then proxies to Django', () => {
  it('LoginView through Caddy (a public route), then the private view with the identity; 401 without the cookie', async () => {
    const app = new URL((await t.site('db')).url).host;
    const worker = await startListeningWorker(t.stack, await t.bindings('db'));
    // The sign-in page goes to the app unchecked; client X-Auth-* headers are removed before it.
    const publicLogin = (config: string) =>
      config.replace(/(\t+)request_header -X-Rewrite-URL\n/, `$&$1reverse_proxy ${LOGIN}* 127.0.0.1:8080\n`);
    const caddy = await startProxy('caddy', { worker: worker.address, app }, publicLogin);
    try {
      const b = t.browser((url, init) => fetch(url, init), caddy.url);
      expect((await signIn(b, 'ada_db', PASSWORD, LOGIN)).status).toBe(302);
      const seen = await t.echo(b);
      expect(seen).toMatchObject({ username: 'ada_db', session_read: false });
      expect(seen.headers.HTTP_X_AUTH_USER_ID).toBe(await t.idOf('ada_db'));
      const stranger = await t.browser((url, init) => fetch(url, init), caddy.url).get('/account/');
      expect(stranger.status).toBe(401);
      expect(stranger.headers.get('WWW-Authenticate')).toBe(CHALLENGE);
    } finally {
      await caddy.stop();
      await worker.dispose();
    }
  });
});

describe('no Django session key outside Django', () => {
  it('in no Redis key or value, no header Django saw but its Cookie, no line the Worker or gunicorn logged', async () => {
    const { counts, found } = await t.leaks();
    expect(counts.keys).toBeGreaterThan(15);
    expect(counts.redisKeys).toBeGreaterThan(0);
    expect(counts.headers).toBeGreaterThan(15);
    expect(found).toEqual([]);
  });
});
