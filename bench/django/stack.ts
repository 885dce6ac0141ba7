// What `npm run bench:django` runs on: a database of its own that real Django
// migrated and signed its users into, PostgreSQL behind the delay proxy, the
// site twice under gunicorn (the seed's middleware; the Django-session
// example's header middleware instead), and edge-auth's Worker in workerd,
// Django-session mode, whose Upstash and Neon servers reach the same
// PostgreSQL through the same proxy. stop() undoes everything, in reverse
// order, and never throws.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { startNeonServer } from '../../dev/neon/server';
import { createDatabase, ensurePostgres } from '../../dev/services';
import { createMemoryEngine } from '../../dev/upstash/memory-engine';
import { createRedisEngine } from '../../dev/upstash/redis-engine';
import { MEMORY_REDIS_URL, startUpstashServer } from '../../dev/upstash/server';
import { ensurePythonModules, PYTHON, startDjangoOrigin } from '../../test/support/django-origin';
import { ROOT, startWorkerd } from '../../tools/harness/workerd';
import { djangoKeyBindings } from '../django-logins';
import { withCookie } from '../stack';
import { startDelayProxy } from './delay-proxy';
import { installUpdateLog, type UpdateLog } from './updates';

const SITE = join(ROOT, 'bench/django/site');
const REDIS_TOKEN = 'edge-auth-bench-django-redis-token';

/** How to build the stack; `users` are the usernames each arm signs in, `sessions` per user. */
export interface DjangoStackOptions {
  redisUrl: string;
  postgresAdminUrl: string;
  edgeAuthScript: string;
  delayMs: number;
  threads: number;
  connMaxAge: number;
  users: string[];
  sessions: number;
  log: (line: string) => void;
}

/** A user signed in by Django: its `auth_user.id` and one `sessionid` per login, oldest first. */
export interface DjangoUser {
  id: number;
  keys: string[];
}

/**
 * Starts everything; on any failure stops what already started and rethrows.
 *
 * @example
 * const stack = await startDjangoStack({ …, users: ['seed-1x20-0'], sessions: 3 });
 * try { await stack.seed.fetch('/api/orders', stack.users.get('seed-1x20-0')!.keys[0]!); } finally { await stack.stop(); }
 */
export async function startDjangoStack(opts: DjangoStackOptions) {
  const undo: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    undo.length = 0;
  };
  try {
    const postgres = await ensurePostgres({ url: opts.postgresAdminUrl });
    undo.push(() => postgres.stop());
    const db = await createDatabase(postgres.url, { label: 'bench_django' });
    undo.push(() => db.drop());
    const proxy = await startDelayProxy({ host: postgres.host, port: postgres.port }, opts.delayMs);
    undo.push(() => proxy.close());
    const viaProxy = new URL(db.url);
    viaProxy.host = `${proxy.host}:${proxy.port}`;
    const secretKey = randomBytes(50).toString('base64url');
    const site = (url: string, arm: 'update_or_create' | 'edge_auth') => ({
      DJANGO_SECRET_KEY: secretKey,
      DATABASE_URL: url,
      BENCH_ARM: arm,
      BENCH_CONN_MAX_AGE: String(opts.connMaxAge),
    });

    opts.log(`Django: migrating and signing in ${opts.users.length} users × ${opts.sessions} sessions`);
    await ensurePythonModules({ psycopg2: 'python3-psycopg2' });
    const users = await signIn(site(db.url, 'update_or_create'), opts.users, opts.sessions);
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    pool.on('error', () => undefined);
    undo.push(() => pool.end());
    // After the logins: only the run's writes are logged.
    const updates: UpdateLog = await installUpdateLog(pool);

    opts.log(`gunicorn ×2 (1 worker, ${opts.threads} threads), PostgreSQL ${opts.delayMs} ms away each way`);
    const origin = async (arm: 'update_or_create' | 'edge_auth') => {
      const django = await startDjangoOrigin({
        project: SITE,
        app: 'wsgi:application',
        threads: opts.threads,
        // Idle connections outlive workerd's and Node's (~4 s), so a client never reuses one
        // gunicorn is closing (gunicorn's default keeps them 2 s).
        env: { ...site(viaProxy.toString(), arm), GUNICORN_CMD_ARGS: '--keep-alive 75' },
        modules: { psycopg2: 'python3-psycopg2' },
        ready: { path: '/ready', contains: 'ready' },
      });
      undo.push(() => django.stop());
      return django;
    };
    const [seedSite, edgeSite] = [await origin('update_or_create'), await origin('edge_auth')];

    const engine =
      opts.redisUrl === MEMORY_REDIS_URL ? createMemoryEngine() : createRedisEngine(opts.redisUrl);
    undo.push(() => engine.close());
    const prefix = `edge-auth-bench-django-${randomBytes(4).toString('hex')}:`;
    undo.push(async () => {
      const [keys] = await engine.pipeline([['KEYS', `${prefix}*`]]);
      if (Array.isArray(keys) && keys.length > 0) await engine.pipeline([['DEL', ...keys.map(String)]]);
    });
    const upstash = await startUpstashServer({ engine, token: REDIS_TOKEN });
    undo.push(() => upstash.close());
    // Neon's server keeps its connections: a Worker pays the hop per statement, not per connect.
    const neon = await startNeonServer({
      upstream: { host: proxy.host, port: proxy.port, user: postgres.user, password: postgres.password },
    });
    undo.push(() => neon.close());
    const worker = await startWorkerd({
      script: opts.edgeAuthScript,
      bindings: {
        ...(await djangoKeyBindings(secretKey)).bindings,
        DATABASE_URL: db.url,
        NEON_FETCH_ENDPOINT: neon.endpoint,
        UPSTASH_REDIS_REST_URL: upstash.url,
        UPSTASH_REDIS_REST_TOKEN: REDIS_TOKEN,
        REDIS_KEY_PREFIX: prefix,
        ORIGIN_URL: edgeSite.url,
      },
    });
    undo.push(() => worker.mf.dispose());

    return {
      database: db.name,
      users,
      /** The seed's site, straight: the client holds Django's cookie. */
      seed: {
        fetch: (path: string, sessionKey: string) =>
          fetch(`${seedSite.url}${path}`, { headers: { Cookie: `sessionid=${sessionKey}` } }),
      },
      /** The same site behind edge-auth, the same cookie through the Worker. */
      edge: { fetch: withCookie(worker, 'sessionid') },
      updates,
      /** Connections the proxy accepted (each a new PostgreSQL backend) and edge-auth's round trips so far. */
      counters: () => ({
        connections: proxy.connections(),
        redisRequests: upstash.stats().requests,
        sqlRequests: neon.stats().requests,
        statements: neon.stats().statements,
      }),
      /** The database straight, for the lock sampler (no delay: it must not lag what it samples). */
      adminUrl: db.url,
      async postgresVersion(): Promise<string> {
        const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
        return rows[0]?.server_version ?? 'unknown';
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export type DjangoStack = Awaited<ReturnType<typeof startDjangoStack>>;

/** Runs site/logins.py (migrate, users, logins) with `env`; the session keys come back on stdout. */
function signIn(
  env: Record<string, string>,
  users: string[],
  sessions: number,
): Promise<Map<string, DjangoUser>> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      PYTHON,
      ['logins.py'],
      {
        cwd: SITE,
        env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1', ...env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err)
          return reject(new Error(`logins.py failed: ${stderr.trim().split('\n').at(-1) ?? err.message}`));
        resolve(new Map(Object.entries(JSON.parse(stdout) as Record<string, DjangoUser>)));
      },
    );
    child.stdin?.end(JSON.stringify({ users, sessions }));
  });
}
