// `npm run dev`: the whole product on this machine, no cloud account, no Docker.
// Finds (or starts) Redis and PostgreSQL, puts the local Upstash and Neon
// protocol servers in front of them, migrates and seeds a demo user, starts an
// echo origin and runs the Worker under `wrangler dev`. Ctrl-C stops it all.
import { type ChildProcess, spawn } from 'node:child_process';
import pg from 'pg';
import { migrate } from '../scripts/migrate';
import { parseConfig } from '../src/config';
import type { Env } from '../src/env';
import { DEV_JWT_SECRET, DEV_REDIS_TOKEN, DEV_WORKER_PORT } from './defaults';
import { startNeonServer } from './neon/server';
import { startEchoOrigin } from './origin';
import { ensurePostgres, ensureRedis } from './services';
import { mintToken } from './tokens';
import { startUpstashServer } from './upstash/server';

/** The dev database survives restarts; EDGE_AUTH_DEV_DATABASE picks another (the tests use a throwaway one). */
const DEV_DATABASE = process.env.EDGE_AUTH_DEV_DATABASE ?? 'edge_auth_dev';
const log = (line: string) => console.log(`[dev] ${line}`);
const cleanups: (() => Promise<unknown>)[] = [];
let wrangler: ChildProcess | undefined;

async function main() {
  const port = Number(process.env.PORT ?? DEV_WORKER_PORT);
  const redis = await ensureRedis({ log });
  cleanups.push(() => redis.stop());
  if (redis.kind === 'memory') {
    log('NOTICE: no Redis server found or installable; using the in-memory engine.');
    log(
      '        This is a development fallback only: state is lost on exit. Install redis-server for the real thing.',
    );
  }
  const postgres = await ensurePostgres({ log });
  cleanups.push(() => postgres.stop());
  const databaseUrl = await ensureDatabase(postgres.url, DEV_DATABASE);
  const applied = await migrate(databaseUrl);
  log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'schema up to date');
  await seedDemo(databaseUrl);

  const upstash = await startUpstashServer({ redisUrl: redis.url, token: DEV_REDIS_TOKEN });
  cleanups.push(() => upstash.close());
  const neon = await startNeonServer({ upstream: postgres });
  cleanups.push(() => neon.close());
  const origin = await startEchoOrigin();
  cleanups.push(() => origin.close());
  log(`Upstash REST ${upstash.url} (stats: ${upstash.url}/__stats)`);
  log(`Neon SQL-over-HTTP ${neon.endpoint} (stats: ${neon.url}/__stats)`);
  log(`demo origin ${origin.url}`);

  const vars: Env = {
    UPSTASH_REDIS_REST_URL: upstash.url,
    UPSTASH_REDIS_REST_TOKEN: DEV_REDIS_TOKEN,
    DATABASE_URL: databaseUrl,
    NEON_FETCH_ENDPOINT: neon.endpoint,
    JWT_SECRET: DEV_JWT_SECRET,
    ORIGIN_URL: origin.url,
    PUBLIC_PATHS: '/public',
  };
  parseConfig(vars); // fail here, with every problem named, rather than on the first request
  wrangler = startWrangler(port, vars);
  await waitForWorker(port, wrangler);

  const token = await mintToken({
    secret: DEV_JWT_SECRET,
    userId: 'demo-user',
    sessionId: 'demo-session',
    ttlSeconds: 7 * 24 * 3600,
  });
  console.log(`
edge-auth is running on http://127.0.0.1:${port}

Try it (the answer comes from the demo origin, with the identity headers edge-auth added):

  curl -i http://127.0.0.1:${port}/hello -H 'Authorization: Bearer ${token}'

Also: GET /auth/session, GET /auth/verify, POST /auth/logout, GET /healthz.
Mint another token: npm run token -- --user demo-user --session demo-session
Round trips and writes so far: curl ${upstash.url}/__stats ; curl ${neon.url}/__stats
Press Ctrl-C to stop everything.
`);
}

/** Creates the development database once; later runs reuse it. */
async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!/^[a-z_][a-z0-9_]*$/.test(name))
      throw new Error('EDGE_AUTH_DEV_DATABASE must be a plain lower-case identifier');
    if (!rowCount) await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.href;
}

/** A demo user with a week-long session; re-running refreshes it. */
async function seedDemo(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO users (id, username, email, first_name, last_name, is_staff)
       VALUES ('demo-user', 'demo', 'demo@example.com', 'Demo', 'User', true)
       ON CONFLICT (id) DO UPDATE SET is_active = true`,
    );
    await client.query(
      `INSERT INTO sessions (id, user_id, expires_at, data)
       VALUES ('demo-session', 'demo-user', now() + interval '7 days', '{"theme":"dark"}')
       ON CONFLICT (id) DO UPDATE SET expires_at = now() + interval '7 days', revoked_at = NULL`,
    );
  } finally {
    await client.end();
  }
  log('seeded demo-user with session demo-session');
}

function startWrangler(port: number, vars: Env): ChildProcess {
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(port), '--show-interactive-dev-session=false'];
  if (process.env.WRANGLER_INSPECTOR_PORT) args.push('--inspector-port', process.env.WRANGLER_INSPECTOR_PORT);
  for (const [key, value] of Object.entries(vars)) args.push('--var', `${key}:${value}`);
  const child = spawn('node_modules/.bin/wrangler', args, {
    // Its own process group, so stop() can end wrangler, workerd and esbuild together and wait for them.
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  });
  child.once('exit', (code) => {
    if (!stopping) {
      log(`wrangler exited (${code}); stopping`);
      void stop(1);
    }
  });
  return child;
}

async function waitForWorker(port: number, child: ChildProcess) {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the Worker did not answer on port ${port}`);
}

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  if (wrangler?.pid) await endGroup(wrangler.pid);
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  process.exit(code);
}

/** Ends every process of a group (SIGTERM, then SIGKILL after 5 s) and waits until none is left. */
async function endGroup(pgid: number) {
  const alive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pgid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  for (let waited = 0; alive(); waited += 50) {
    if (waited === 5000) signal('SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
  }
}

process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));
main().catch((err: Error) => {
  console.error(`[dev] ${err.message}`);
  void stop(1);
});
