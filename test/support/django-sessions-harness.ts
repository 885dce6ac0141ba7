import type { Env } from '../../src/env';
import { Browser, type Fetcher } from './browser';
import type { DjangoOrigin } from './django-origin';
import {
  createUsers,
  djangoBindings,
  type Echo,
  type Engine,
  expireCachedSession,
  PUBLIC_PATHS,
  SECRET_KEYS,
  siteDatabase,
  startSite,
} from './django-sessions-site';
import { createLogBook, leaks } from './logs';
import { startStack } from './stack';

const PLANT = `from importlib import import_module; from django.conf import settings
s = import_module(settings.SESSION_ENGINE).SessionStore(); s["cart"] = "3 apples"; s.create(); print(s.session_key)`;
const FLUSH = `import os; from importlib import import_module; from django.conf import settings
import_module(settings.SESSION_ENGINE).SessionStore(os.environ["SESSION_KEY"]).flush()`;

/**
 * One test file's world for examples/django-sessions: the stack, a database migrated by Django
 * with `users`, gunicorn runs, Worker isolates whose logs are kept, and browsers. Every session key
 * handed to a browser (or planted) and every header Django saw is recorded for `leaks()`.
 *
 * @example
 * const t = await startDjangoSessions(['ada_db']);
 * const worker = await t.worker(await t.bindings('db', (await t.site('db')).url));
 * const b = t.browser(worker); await signIn(b, 'ada_db', PASSWORD, '/accounts/login/');
 */
export async function startDjangoSessions(users: string[]) {
  const stack = await startStack();
  const db = await siteDatabase().catch(async (err) => {
    await stack.stop();
    throw err;
  });
  const book = createLogBook();
  const keys = new Set<string>();
  const headers: Record<string, string>[] = [];
  const sites: DjangoOrigin[] = [];
  type Worker = Awaited<ReturnType<typeof book.worker>>;
  const rowsOf = async (key: string) =>
    (await db.pool.query('SELECT 1 FROM django_session WHERE session_key = $1', [key])).rowCount;

  const t = {
    stack,
    db,
    /** The example under gunicorn with this engine and SECRET_KEY. */
    async site(engine: Engine, secretKey = SECRET_KEYS.current) {
      const started = await startSite(db.env(engine, secretKey));
      sites.push(started);
      return started;
    },
    /** The Worker's bindings for the site: L1 off, so a bound is played by expiring the Redis entry. */
    async bindings(
      engine: Engine,
      origin?: string,
      secretKey = SECRET_KEYS.current,
      fallbacks: string[] = [],
    ) {
      return {
        ...(await djangoBindings(engine, secretKey, fallbacks)),
        ORIGIN_URL: origin,
        PUBLIC_PATHS,
        DATABASE_URL: db.url,
        L1_CACHE_TTL_SECONDS: '0',
      } satisfies Partial<Env>;
    },
    /** A Worker isolate in workerd whose log lines are kept. */
    worker: (env: Partial<Env>) => book.worker(stack, env),
    /** A browser on a Worker isolate (http://edge.test), or on `origin` through `send`. */
    browser(through: Worker | Fetcher, origin = 'http://edge.test') {
      const send: Fetcher =
        typeof through === 'function' ? through : (url, init) => through.fetch(new URL(url).pathname, init);
      return new Browser(origin, async (url, init) => {
        const res = await send(url, init);
        for (const line of res.headers.getSetCookie()) {
          const key = /^sessionid=([^;"]+)/.exec(line)?.[1];
          if (key) keys.add(key);
        }
        return res;
      });
    },
    /** What Django saw of a GET /echo/ (test/fixtures/django-sessions-site). */
    async echo(b: Browser): Promise<Echo> {
      const page = await b.get('/echo/');
      if (page.status !== 200) throw new Error(`GET /echo/ answered ${page.status}: ${page.body}`);
      const seen = JSON.parse(page.body) as Echo;
      headers.push(seen.headers);
      return seen;
    },
    /** A copy of a session cookie, sent alone from elsewhere. */
    copy: (worker: Worker, key: string, path = '/echo/') =>
      worker.fetch(path, { headers: { Cookie: `sessionid=${key}` } }),
    keyOf: (b: Browser) => b.cookies.get('sessionid')?.value ?? '',
    /** How many `django_session` rows have this key (0 or 1). */
    rowsOf,
    idOf: async (username: string) =>
      String((await db.pool.query('SELECT id FROM auth_user WHERE username = $1', [username])).rows[0].id),
    /** Plays the expiry of the session's shared-cache entry (expireCachedSession). */
    expire: (key: string) => expireCachedSession(stack, key),
    /** An anonymous session made by Django's SessionStore, as a visitor gets one before login. */
    async plant(engine: Engine) {
      const key = (await db.shell(PLANT, engine)).trim();
      keys.add(key);
      return key;
    },
    /** `SessionStore(key).flush()`, as the site's own code would call it. */
    flush: (engine: Engine, key: string) => db.shell(FLUSH, engine, { SESSION_KEY: key }),
    /** Where a recorded session key appears: Redis keys or values, headers Django saw, any log line. */
    async leaks() {
      const all = [...keys];
      const redisKeys = (await stack.redis.keys(`${stack.prefix}*`)) as string[];
      const redis = JSON.stringify([redisKeys, await Promise.all(redisKeys.map((k) => stack.redis.get(k)))]);
      const seen = JSON.stringify(headers);
      await book.settle();
      const named = Object.fromEntries(all.map((k, i) => [`session key ${i}`, k]));
      const gunicorn = sites.flatMap((s, isolate) =>
        s
          .output()
          .split('\n')
          .map((line) => ({ isolate, stream: 'gunicorn', line })),
      );
      return {
        counts: { keys: all.length, redisKeys: redisKeys.length, headers: headers.length },
        found: [
          ...all.flatMap((k, i) => (redis.includes(k) ? [`session key ${i} in Redis`] : [])),
          ...all.flatMap((k, i) => (seen.includes(k) ? [`session key ${i} in a header`] : [])),
          ...leaks([...book.lines(), ...gunicorn], named),
        ],
      };
    },
    async stop() {
      await Promise.allSettled(sites.map((s) => s.stop()));
      await stack.stop();
      await db.close();
    },
  };
  await createUsers(db, users).catch(async (err) => {
    await t.stop();
    throw err;
  });
  return t;
}

export type DjangoSessions = Awaited<ReturnType<typeof startDjangoSessions>>;
