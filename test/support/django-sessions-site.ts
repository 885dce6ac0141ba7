import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { inject } from 'vitest';
import { createDatabase, type TestDatabase } from '../../dev/services';
import { deriveDjangoKeys, formatDjangoKeys } from '../../src/django/keys';
import { djangoSessionId, importSessionIdKey } from '../../src/django/session-id';
import type { Env } from '../../src/env';
import { type Browser, csrfTokenOf } from './browser';
import { manage, PASSWORD } from './django-example';
import { ensurePythonModules, startDjangoOrigin } from './django-origin';
import { eventually, type Stack } from './stack';

/** examples/django-sessions: a Django project that keeps its own login, logout and sessions. */
export const SITE = fileURLToPath(new URL('../../examples/django-sessions/', import.meta.url));
/** The test's settings module: the example's, plus an /echo/ view of what Django saw. */
const ECHO = fileURLToPath(new URL('../fixtures/django-sessions-site/', import.meta.url));
const MODULES = { psycopg2: 'python3-psycopg2' };
export type Engine = 'db' | 'cached_db' | 'signed_cookies';
export const PUBLIC_PATHS = '/accounts/login,/static'; // docs/django.md
/** Test-only SECRET_KEYs: `current`, and `next` for the rotation. */
export const SECRET_KEYS = {
  current: 'django-sessions-test-key-not-a-secret-1',
  next: 'django-sessions-test-key-not-a-secret-2',
};

/** The key of the non-reversible session ids in Redis keys, X-Auth-Session-Id and logs. */
const ID_KEY = randomBytes(32);

/** What /echo/ answers (test/fixtures/django-sessions-site/echo_urls.py). */
export interface Echo {
  user_id: string | null;
  username: string | null;
  session_read: boolean;
  cookies: string[];
  headers: Record<string, string>;
}

/** A database of the test's own, migrated by Django (`auth_user`, `django_session`). */
export interface SiteDatabase extends TestDatabase {
  pool: pg.Pool;
  /** Django's settings for one run: the engine and SECRET_KEY vary. */
  env(engine: Engine, secretKey: string): Record<string, string>;
  /** Runs Python in `manage.py shell` with `vars` in its environment; resolves to its stdout. */
  shell(code: string, engine: Engine, vars?: Record<string, string>): Promise<string>;
  close(): Promise<void>;
}

/**
 * A database prepared by `manage.py migrate`, as a deployment has it before edge-auth arrives.
 *
 * @example
 * const db = await siteDatabase(); await db.shell('print(1)', 'db');
 */
export async function siteDatabase(): Promise<SiteDatabase> {
  await ensurePythonModules(MODULES);
  const db = await createDatabase(inject('postgresAdminUrl'), { label: 'djsessions' });
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  const env = (engine: Engine, secretKey: string) => ({
    DJANGO_SECRET_KEY: secretKey,
    DATABASE_URL: db.url,
    DJANGO_SESSION_ENGINE: engine,
    DJANGO_ALLOWED_HOSTS: 'edge.test,127.0.0.1',
    DJANGO_COOKIE_SECURE: 'false', // plain http in tests
  });
  const site: SiteDatabase = {
    ...db,
    pool,
    env,
    shell: (code, engine, vars = {}) =>
      manage(['shell', '-c', code], { ...env(engine, SECRET_KEYS.current), ...vars }, SITE),
    async close() {
      await pool.end();
      await db.drop();
    },
  };
  try {
    await manage(['migrate', '--noinput'], env('db', SECRET_KEYS.current), SITE);
  } catch (err) {
    await site.close();
    throw err;
  }
  return site;
}

/**
 * The example under gunicorn (4 threads), with the test's /echo/ view.
 *
 * @example
 * const site = await startSite(db.env('db', SECRET_KEYS.current));
 */
export function startSite(env: Record<string, string>) {
  return startDjangoOrigin({
    project: SITE,
    app: 'mysite.wsgi:application',
    threads: 4,
    env: { ...env, PYTHONPATH: ECHO, DJANGO_SETTINGS_MODULE: 'echo_settings' },
    modules: MODULES,
    ready: { path: '/accounts/login/', contains: 'csrfmiddlewaretoken' },
  });
}

/**
 * The Worker's Django bindings: keys derived from `secretKey` then each fallback, as
 * `edge-auth django-keys` prints them (`formatDjangoKeys`), never `SECRET_KEY` itself.
 *
 * @example
 * const worker = await stack.worker({ ...(await djangoBindings('db', SECRET_KEYS.current)), ORIGIN_URL });
 */
export async function djangoBindings(
  engine: Engine,
  secretKey: string,
  fallbacks: string[] = [],
): Promise<Partial<Env>> {
  const lines = formatDjangoKeys(await deriveDjangoKeys(secretKey, fallbacks))
    .trim()
    .split('\n');
  return {
    SESSION_MODE: 'django',
    JWT_SECRET: undefined,
    DJANGO_SESSION_ENGINE: engine,
    DJANGO_SESSION_ID_KEY: ID_KEY.toString('base64url'),
    ...Object.fromEntries(lines.map((line) => line.split('=', 2) as [string, string])),
  };
}

/**
 * Plays the expiry of a session's shared-cache entry: waits for the write-back of its last load
 * (sent in the background), then deletes it, as its TTL would.
 *
 * @example
 * await expireCachedSession(stack, browser.cookies.get('sessionid')!.value);
 */
export async function expireCachedSession(stack: Stack, sessionKey: string): Promise<void> {
  const id = await djangoSessionId(await importSessionIdKey(ID_KEY), sessionKey);
  const key = `${stack.prefix}session:${id}`;
  await eventually(
    () => stack.redis.exists(key),
    (n) => n === 1,
  );
  await stack.redis.del(key);
}

/**
 * Creates users with PASSWORD, in one `manage.py shell`.
 *
 * @example
 * await createUsers(db, ['ada_db', 'bob_db']);
 */
export async function createUsers(db: SiteDatabase, names: string[]): Promise<void> {
  await db.shell(
    `import os; from django.contrib.auth import get_user_model as m
for n in os.environ["NAMES"].split(","): m().objects.create_user(n, password=os.environ["PASSWORD"])`,
    'db',
    { NAMES: names.join(','), PASSWORD },
  );
}

/**
 * PasswordChangeView, as a person uses it: GET the form, POST it with the CSRF token.
 *
 * @example
 * const res = await changePassword(browser, PASSWORD, 'a new passphrase'); // 302 to …/done/
 */
export async function changePassword(browser: Browser, oldPassword: string, newPassword: string) {
  const path = '/accounts/password_change/';
  const form = await browser.get(path);
  if (form.status !== 200) throw new Error(`GET ${path} answered ${form.status}: ${form.body}`);
  return browser.post(path, {
    csrfmiddlewaretoken: csrfTokenOf(form.body),
    old_password: oldPassword,
    new_password1: newPassword,
    new_password2: newPassword,
  });
}
