import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { inject } from 'vitest';
import { createDatabase, type TestDatabase } from '../../dev/services';
import { type Browser, csrfTokenOf } from './browser';
import { ensurePythonModules, PYTHON, startDjangoOrigin } from './django-origin';
import { TEST_SECRET } from './stack';

/** The example project: examples/django (manage.py, example_site, accounts, templates). */
export const DJANGO_EXAMPLE = fileURLToPath(new URL('../../examples/django/', import.meta.url));
/** What the example imports besides Django and gunicorn, with the Debian packages. */
const MODULES = { psycopg2: 'python3-psycopg2', jwt: 'python3-jwt' };
/** Every test user's password. */
export const PASSWORD = 'correct horse battery staple';

/** A database of the test's own that `manage.py migrate` prepared (Django's tables; no `sessions` yet). */
export interface ExampleDatabase extends TestDatabase {
  pool: pg.Pool;
  /** The example's settings for this database (settings.py reads them from the environment). */
  env(options: { secure: boolean; allowedHosts?: string }): Record<string, string>;
  /** `manage.py createsuperuser` with PASSWORD; resolves to the user's id. */
  createUser(username: string): Promise<number>;
  /** Ends the pool, then drops the database. */
  close(): Promise<void>;
}

/**
 * Installs what the example needs (apt, when missing and allowed), creates a database and runs
 * Django's own migrations on it, as a deployment does before edge-auth's.
 *
 * @example
 * const db = await exampleDatabase('django');
 * await migrate(db.url, { users: { table: 'auth_user', idType: 'integer', touchColumn: 'last_login' } });
 */
export async function exampleDatabase(label: string): Promise<ExampleDatabase> {
  await ensurePythonModules(MODULES);
  const db = await createDatabase(inject('postgresAdminUrl'), { label });
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  const env: ExampleDatabase['env'] = ({ secure, allowedHosts = 'edge.test' }) => ({
    DJANGO_SECRET_KEY: 'django-example-test-not-a-secret',
    DATABASE_URL: db.url,
    EDGE_AUTH_SECRET: TEST_SECRET, // the Worker's JWT_SECRET
    DJANGO_ALLOWED_HOSTS: allowedHosts,
    DJANGO_CSRF_TRUSTED_ORIGINS: 'https://www.edge.test',
    EDGE_AUTH_COOKIE_SECURE: String(secure),
  });
  try {
    await manage(['migrate', '--noinput'], env({ secure: false }));
  } catch (err) {
    await pool.end();
    await db.drop();
    throw err;
  }
  return {
    ...db,
    pool,
    env,
    async createUser(username) {
      await manage(
        ['createsuperuser', '--noinput', '--username', username, '--email', `${username}@example.com`],
        {
          ...env({ secure: false }),
          DJANGO_SUPERUSER_PASSWORD: PASSWORD,
        },
      );
      return (await pool.query('SELECT id FROM auth_user WHERE username = $1', [username])).rows[0].id;
    },
    async close() {
      await pool.end();
      await db.drop();
    },
  };
}

/**
 * The example under gunicorn (4 threads) with `env` (ExampleDatabase.env()); ready once /login
 * renders its form for a request that came through edge-auth (X-Forwarded-Host).
 *
 * @example
 * const django = await startExampleOrigin(db.env({ secure: false }));
 */
export function startExampleOrigin(env: Record<string, string>) {
  const host = env.DJANGO_ALLOWED_HOSTS?.split(',')[0] ?? 'localhost';
  return startDjangoOrigin({
    project: DJANGO_EXAMPLE,
    app: 'example_site.wsgi:application',
    threads: 4,
    env,
    modules: MODULES,
    ready: { path: '/login', contains: 'csrfmiddlewaretoken', headers: { 'X-Forwarded-Host': host } },
  });
}

/**
 * What a person does on the sign-in page (`path`, the example's by default): GET the form, POST it
 * with its CSRF token.
 *
 * @example
 * const res = await signIn(browser, 'ada'); // 302 to /account/, the session cookie in browser.cookies
 */
export async function signIn(browser: Browser, username: string, password = PASSWORD, path = '/login') {
  const form = await browser.get(path);
  if (form.status !== 200) throw new Error(`GET ${path} answered ${form.status}: ${form.body}`);
  return browser.post(path, { csrfmiddlewaretoken: csrfTokenOf(form.body), username, password });
}

/**
 * The account page's "Sign out" form, posted with its CSRF token to `path` (the example's by default).
 *
 * @example
 * const res = await signOut(browser); // 302 to /login, the session cookie deleted
 */
export async function signOut(browser: Browser, path = '/logout') {
  const page = await browser.get('/account/');
  if (page.status !== 200) throw new Error(`GET /account/ answered ${page.status}: ${page.body}`);
  return browser.post(path, { csrfmiddlewaretoken: csrfTokenOf(page.body) });
}

/**
 * `python3 manage.py …` in the example (or `project`); resolves to its stdout. The environment
 * carries the secrets, never the command line.
 *
 * @example
 * await manage(['migrate', '--noinput'], env, SITE);
 */
export async function manage(
  args: string[],
  env: Record<string, string>,
  project = DJANGO_EXAMPLE,
): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(PYTHON, ['manage.py', ...args], {
      cwd: project,
      env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1', ...env },
    });
    return stdout;
  } catch (err) {
    throw new Error(`manage.py ${args[0]} failed: ${(err as { stderr?: string }).stderr ?? err}`);
  }
}
