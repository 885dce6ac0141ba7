// `npm run dev`: the whole product on this machine, no cloud account, no Docker.
// Claims the port (one instance per port: dev/instance-lock.ts), starts the
// local stack (dev/stack.ts: Redis and PostgreSQL found or started, the Upstash
// and Neon protocol servers, an echo origin), seeds a demo user with a fresh
// session and runs the Worker under `wrangler dev`. Ctrl-C, SIGTERM, closing
// the terminal (SIGHUP) and any failure while starting stop everything it
// started; nothing is printed as running before the Worker answers on the port.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type pg from 'pg';
import { parseConfig } from '../src/config';
import type { Env } from '../src/env';
import { DEV_DEMO_USER, DEV_WORKER_PORT, devDatabaseName } from './defaults';
import { acquireInstanceLock, type InstanceLock } from './instance-lock';
import { portBusy } from './ports';
import { type LocalStack, startLocalStack } from './stack';
import { createSession, mintToken } from './tokens';

/** How long the demo session and its token live. */
const DEMO_TTL_SECONDS = 7 * 24 * 3600;
/** How long wrangler may take to answer on the port (a cold first build on a slow machine). */
const WORKER_READY_TIMEOUT_MS = 90_000;

const log = (line: string) => console.log(`[dev] ${line}`);

/** A failure the user can act on (busy port, second instance): printed as is, without a stack. */
class DevError extends Error {}

let lock: InstanceLock | undefined;
/** Set as soon as the stack starts starting, so a stop during startup still undoes it. */
let stackStarting: Promise<LocalStack> | undefined;
let wrangler: ChildProcess | undefined;
/** Private directory of the bindings file handed to wrangler; removed on exit. */
let varsDir: string | undefined;
/** True once the Worker answered: from then on wrangler exiting is a crash that stops everything. */
let ready = false;
let stopping = false;

async function main() {
  const port = parsePort(process.env.PORT);
  const url = `http://127.0.0.1:${port}`;
  // The record first: of two instances started together exactly one gets it, before either starts anything.
  const claim = acquireInstanceLock(port, url);
  if ('holder' in claim) {
    throw new DevError(
      `edge-auth dev is already running on ${claim.holder.url} (pid ${claim.holder.pid}); ` +
        'stop it or use PORT=<another port>',
    );
  }
  lock = claim.lock;
  await assertPortFree(port);

  stackStarting = startLocalStack({ label: 'dev', database: devDatabaseName(), origin: true, log });
  const stack = await stackStarting;
  if (stopping) return;
  if (stack.redis.kind === 'memory') {
    log('NOTICE: no Redis server found or installable; using the in-memory engine.');
    log(
      '        This is a development fallback only: state is lost on exit. Install redis-server for the real thing.',
    );
  }
  const sessionId = await seedDemo(stack.pool);
  // A secret of this run: `npm run token` reads it (and the database) from the record, readable by this user only.
  const jwtSecret = randomBytes(32).toString('base64url');
  lock.update({ databaseUrl: stack.database.url, jwtSecret });
  const { upstash, neon, origin } = stack;
  log(`Upstash REST ${upstash.url} (stats: ${upstash.url}/__stats)`);
  log(`Neon SQL-over-HTTP ${neon.endpoint} (stats: ${neon.url}/__stats)`);
  log(`demo origin ${origin?.url}`);

  const vars: Env = { ...stack.env(), JWT_SECRET: jwtSecret, PUBLIC_PATHS: '/public' };
  parseConfig(vars); // fail here, with every problem named, rather than on the first request
  await assertPortFree(port); // taken while the stack started?
  if (stopping) return;
  wrangler = startWrangler(port, writeVarsFile(vars));
  await waitForWorker(port, wrangler);
  if (stopping) return;
  ready = true;

  const token = await mintToken({
    secret: jwtSecret,
    userId: DEV_DEMO_USER,
    sessionId,
    ttlSeconds: DEMO_TTL_SECONDS,
  });
  console.log(`
edge-auth is running on ${url}

Try it (the answer comes from the demo origin, with the identity headers edge-auth added):

  curl -i ${url}/hello -H 'Authorization: Bearer ${token}'

Also: GET /auth/session, GET /auth/verify, POST /auth/logout, GET /healthz.
Mint a token for a fresh session (after a logout, say): ${port === DEV_WORKER_PORT ? '' : `PORT=${port} `}npm run token
Round trips and writes so far: curl ${upstash.url}/__stats ; curl ${neon.url}/__stats
Press Ctrl-C to stop everything.
`);
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEV_WORKER_PORT;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) {
    throw new DevError(`PORT must be a port number from 1 to 65535, not ${JSON.stringify(raw)}`);
  }
  return port;
}

function portInUse(port: number): DevError {
  return new DevError(
    `port ${port} is already in use by another process (127.0.0.1:${port}); stop it or use PORT=<another port>`,
  );
}

/** A bind test on the address wrangler will listen on; a listener there would make wrangler fail late. */
async function assertPortFree(port: number) {
  const code = await portBusy(port);
  if (code === 'EADDRINUSE') throw portInUse(port);
  if (code) throw new DevError(`cannot listen on 127.0.0.1:${port} (${code}); use PORT=<another port>`);
}

/**
 * The demo user, and a fresh week-long session for it on every start: a logout with the printed
 * token revokes that run's session only, never the next run's (a fixed id would stay revoked).
 */
async function seedDemo(pool: pg.Pool): Promise<string> {
  await pool.query(
    `INSERT INTO users (id, username, email, first_name, last_name, is_staff)
     VALUES ($1, 'demo', 'demo@example.com', 'Demo', 'User', true)
     ON CONFLICT (id) DO UPDATE SET is_active = true`,
    [DEV_DEMO_USER],
  );
  // Earlier runs' sessions stay usable until they expire; expired ones would only pile up.
  await pool.query('DELETE FROM sessions WHERE user_id = $1 AND expires_at < now()', [DEV_DEMO_USER]);
  const sessionId = await createSession(pool, {
    userId: DEV_DEMO_USER,
    ttlSeconds: DEMO_TTL_SECONDS,
    idPrefix: 'demo',
    data: { theme: 'dark' },
  });
  log(`seeded ${DEV_DEMO_USER} with a fresh session ${sessionId}`);
  return sessionId;
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

/** What wrangler said so far that matters here. */
interface WranglerSignals {
  /** The port of its "Ready on http://127.0.0.1:<port>" line. */
  readyPort?: number;
  /** The address (host:port) it or workerd could not bind: ours, or the inspector's. */
  addressInUse?: string;
}
const wranglerSignals: WranglerSignals = {};

function startWrangler(port: number, varsFile: string): ChildProcess {
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(port), '--show-interactive-dev-session=false'];
  if (process.env.WRANGLER_INSPECTOR_PORT) args.push('--inspector-port', process.env.WRANGLER_INSPECTOR_PORT);
  args.push('--env-file', varsFile);
  const child = spawn('node_modules/.bin/wrangler', args, {
    // Its own process group, so stop() can end wrangler, workerd and esbuild together and wait for them.
    detached: true,
    // Through this process rather than inherited: its output tells whether it bound the port, and once
    // the terminal is gone (SIGHUP) only this process has to cope with writes that fail.
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: 'false',
      CI: 'true',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      // The bindings come from the file only, never from this process's environment.
      CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: 'true',
      CLOUDFLARE_INCLUDE_PROCESS_ENV: 'false',
    },
  });
  relay(child.stdout, process.stdout);
  relay(child.stderr, process.stderr);
  child.once('exit', (code, signal) => {
    // Before the Worker is ready, waitForWorker reports the failure (naming a busy port).
    if (ready && !stopping) {
      log(`wrangler exited (${code ?? signal}); stopping`);
      void stop(1);
    }
  });
  return child;
}

const ESCAPE_SEQUENCE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g');

/** Copies wrangler's output to ours, watching it for the ready line and a failed bind. */
function relay(from: Readable | null, to: Writable) {
  let tail = ''; // a line may arrive split across chunks
  from?.on('data', (chunk: Buffer) => {
    to.write(chunk);
    tail = (tail + chunk.toString('utf8')).slice(-4096);
    const text = tail.replace(ESCAPE_SEQUENCE, '');
    const readyAt = /Ready on https?:\/\/[^\s/]+:(\d+)/.exec(text)?.[1];
    if (readyAt) wranglerSignals.readyPort = Number(readyAt);
    // workerd: "Address already in use; toString() = 127.0.0.1:8787"; wrangler: "… in use (127.0.0.1:8787)".
    const inUse = /Address already in use(?:; toString\(\) = |\s*\()([^\s)]+:\d+)/.exec(text)?.[1];
    if (inUse) wranglerSignals.addressInUse ??= inUse;
  });
}

/**
 * Waits until wrangler says it is ready on `port` and the Worker answers /healthz there. The ready
 * line matters: an answer alone might come from whatever took the port meanwhile.
 */
async function waitForWorker(port: number, child: ChildProcess) {
  const deadline = Date.now() + WORKER_READY_TIMEOUT_MS;
  while (Date.now() < deadline && !stopping) {
    const exited = child.exitCode !== null || child.signalCode !== null;
    // wrangler exits after a failed bind; do not wait for it when it says so.
    const inUse = wranglerSignals.addressInUse;
    if (inUse?.endsWith(`:${port}`)) throw portInUse(port);
    if (inUse) {
      throw new DevError(
        `wrangler could not listen on ${inUse}: already in use by another process ` +
          '(WRANGLER_INSPECTOR_PORT picks the inspector port)',
      );
    }
    if (exited) {
      if ((await portBusy(port)) === 'EADDRINUSE') throw portInUse(port);
      throw new DevError(
        `wrangler exited (${child.exitCode ?? child.signalCode}) before the Worker was ready`,
      );
    }
    if (wranglerSignals.readyPort !== undefined && wranglerSignals.readyPort !== port) {
      throw new DevError(`wrangler listens on port ${wranglerSignals.readyPort} instead of ${port}`);
    }
    if (wranglerSignals.readyPort === port) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
      } catch {
        // not answering yet
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!stopping) throw new DevError(`the Worker did not answer on port ${port} within 90 s`);
}

/** Stops everything this process started, in reverse order, then exits; safe to call more than once. */
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  if (wrangler?.pid) await endGroup(wrangler.pid);
  removeVarsFile();
  // A stop during startup waits for the stack to come up (or fail) so that what it started is undone.
  const stack = await stackStarting?.catch(() => undefined);
  await stack?.stop();
  lock?.release(); // last: until here a new instance on this port would race the teardown
  process.exit(code);
}

/** Set by a second Ctrl-C (or SIGTERM/SIGHUP) while stopping: do not wait for wrangler any longer. */
let hurry = false;

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
  let killed = false;
  for (let waited = 0; alive(); waited += 50) {
    if (!killed && (hurry || waited >= 5000)) {
      signal('SIGKILL');
      killed = true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function removeVarsFile() {
  if (varsDir) rmSync(varsDir, { recursive: true, force: true });
}

// Once the terminal is gone (SIGHUP), writing to it fails (EIO, EPIPE); an unhandled 'error' would
// end this process halfway through stopping and leave wrangler and the servers behind.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);
process.once('exit', () => {
  // Even when something else ends the process: no secrets left on disk, no stale record.
  removeVarsFile();
  lock?.release();
});
// `on`, not `once`: a second signal while stopping must not fall back to the default action
// (under tsx, its handler would exit at once when none of ours is left) and abandon the teardown.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (stopping) hurry = true;
    else void stop(0);
  });
}
// The parent (tsx, npm) gone without a signal reaching this process (SIGKILL): nobody is left to
// stop the stack, so stop it now rather than leave it running unowned.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) void stop(1);
}, 1000).unref();

main().catch((err: Error) => {
  if (stopping) return; // a signal arrived during startup; stop() reports nothing and exits 0
  console.error(err instanceof DevError ? `[dev] error: ${err.message}` : `[dev] ${err.message}`);
  void stop(1);
});
