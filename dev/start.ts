// `npm run dev`: the whole product on this machine, no cloud account, no Docker.
// Starts the local stack (dev/stack.ts: Redis and PostgreSQL found or started,
// the Upstash and Neon protocol servers, an echo origin), seeds a demo user and
// runs the Worker under `wrangler dev`. Ctrl-C stops it all.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { parseConfig } from '../src/config';
import type { Env } from '../src/env';
import { DEV_JWT_SECRET, DEV_WORKER_PORT } from './defaults';
import { type LocalStack, startLocalStack } from './stack';
import { mintToken } from './tokens';

/** The dev database survives restarts; EDGE_AUTH_DEV_DATABASE picks another (the tests use a throwaway one). */
const DEV_DATABASE = process.env.EDGE_AUTH_DEV_DATABASE ?? 'edge_auth_dev';
const log = (line: string) => console.log(`[dev] ${line}`);
let stack: LocalStack | undefined;
let wrangler: ChildProcess | undefined;
/** Private directory of the bindings file handed to wrangler; removed on exit. */
let varsDir: string | undefined;

async function main() {
  const port = Number(process.env.PORT ?? DEV_WORKER_PORT);
  stack = await startLocalStack({ label: 'dev', database: DEV_DATABASE, origin: true, log });
  if (stack.redis.kind === 'memory') {
    log('NOTICE: no Redis server found or installable; using the in-memory engine.');
    log(
      '        This is a development fallback only: state is lost on exit. Install redis-server for the real thing.',
    );
  }
  await seedDemo(stack.pool);
  const { upstash, neon, origin } = stack;
  log(`Upstash REST ${upstash.url} (stats: ${upstash.url}/__stats)`);
  log(`Neon SQL-over-HTTP ${neon.endpoint} (stats: ${neon.url}/__stats)`);
  log(`demo origin ${origin?.url}`);

  const vars: Env = { ...stack.env(), JWT_SECRET: DEV_JWT_SECRET, PUBLIC_PATHS: '/public' };
  parseConfig(vars); // fail here, with every problem named, rather than on the first request
  wrangler = startWrangler(port, writeVarsFile(vars));
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

/** A demo user with a week-long session; re-running refreshes it. */
async function seedDemo(pool: pg.Pool) {
  await pool.query(
    `INSERT INTO users (id, username, email, first_name, last_name, is_staff)
     VALUES ('demo-user', 'demo', 'demo@example.com', 'Demo', 'User', true)
     ON CONFLICT (id) DO UPDATE SET is_active = true`,
  );
  await pool.query(
    `INSERT INTO sessions (id, user_id, expires_at, data)
     VALUES ('demo-session', 'demo-user', now() + interval '7 days', '{"theme":"dark"}')
     ON CONFLICT (id) DO UPDATE SET expires_at = now() + interval '7 days', revoked_at = NULL`,
  );
  log('seeded demo-user with session demo-session');
}

/**
 * Writes the bindings to a file only this user can read, for `wrangler dev --env-file`: a command
 * line is visible to every user in `ps`, and these carry JWT_SECRET, the Redis token and the database URL.
 */
function writeVarsFile(vars: Env): string {
  varsDir = mkdtempSync(join(tmpdir(), 'edge-auth-dev-')); // mode 0700
  const lines = Object.entries(vars).map(([key, value = '']) => {
    // Double-quoted dotenv values: `$` would be expanded unless escaped; these would need more than that.
    if (/["\\\r\n]/.test(value))
      throw new Error(`${key} contains a character the bindings file cannot carry`);
    return `${key}="${value.replaceAll('$', '\\$')}"`;
  });
  const path = join(varsDir, 'bindings.env');
  writeFileSync(path, `${lines.join('\n')}\n`, { mode: 0o600, flag: 'wx' });
  return path;
}

function startWrangler(port: number, varsFile: string): ChildProcess {
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(port), '--show-interactive-dev-session=false'];
  if (process.env.WRANGLER_INSPECTOR_PORT) args.push('--inspector-port', process.env.WRANGLER_INSPECTOR_PORT);
  args.push('--env-file', varsFile);
  const child = spawn('node_modules/.bin/wrangler', args, {
    // Its own process group, so stop() can end wrangler, workerd and esbuild together and wait for them.
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: 'false',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      // The bindings come from the file only, never from this process's environment.
      CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: 'true',
      CLOUDFLARE_INCLUDE_PROCESS_ENV: 'false',
    },
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
  removeVarsFile();
  await stack?.stop();
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

function removeVarsFile() {
  if (varsDir) rmSync(varsDir, { recursive: true, force: true });
}

process.once('exit', removeVarsFile); // even when something else ends the process
process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));
main().catch((err: Error) => {
  console.error(`[dev] ${err.message}`);
  void stop(1);
});
