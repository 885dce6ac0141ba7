// `npm run dev`: the whole product on this machine, no cloud account, no Docker.
// Claims the port (one instance per port: dev/instance-lock.ts), starts the
// services (dev/dev-services.ts: the demo by default, or the user's own app and
// database with --origin and --database-url; see dev/dev-options.ts) and runs
// the Worker under `wrangler dev` (dev/wrangler-dev.ts). Ctrl-C, SIGTERM,
// closing the terminal (SIGHUP) and any failure while starting stop everything
// it started; nothing is printed as running before the Worker answers on the port.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/config';
import type { Env } from '../src/env';
import { DEV_DEMO_USER, DEV_WORKER_PORT } from './defaults';
import { type DevOptions, parseDevOptions } from './dev-options';
import { DEMO_TTL_SECONDS, type DevServices, startDevServices } from './dev-services';
import { acquireInstanceLock, type InstanceLock } from './instance-lock';
import { portBusy } from './ports';
import { mintToken } from './tokens';
import { formatVars } from './vars-file';
import {
  DevError,
  endGroup,
  portInUse,
  startWrangler,
  type WranglerRun,
  waitForWorker,
} from './wrangler-dev';

const log = (line: string) => console.log(`[dev] ${line}`);

let lock: InstanceLock | undefined;
/** Set as soon as the services start starting, so a stop during startup still undoes them. */
let servicesStarting: Promise<DevServices> | undefined;
let wrangler: WranglerRun | undefined;
/** Private directory of the bindings file handed to wrangler; removed on exit. */
let varsDir: string | undefined;
/** True once the Worker answered: from then on wrangler exiting is a crash that stops everything. */
let ready = false;
let stopping = false;

async function main() {
  const options = parseDevOptions(process.argv.slice(2));
  if (!options) process.exit(0); // --help
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

  for (const note of options.notes) log(note);
  servicesStarting = startDevServices(options, log);
  const services = await servicesStarting;
  if (stopping) return;
  if (services.redisKind === 'memory') {
    log('NOTICE: no Redis server found or installable; using the in-memory engine.');
    log(
      '        This is a development fallback only: state is lost on exit. Install redis-server for the real thing.',
    );
  }
  // Without a key of the user's, a secret of this run: never a published one.
  const vars: Env = {
    ...(options.origin || options.databaseUrl ? {} : { PUBLIC_PATHS: '/public' }),
    ...(options.hasKey ? {} : { JWT_SECRET: randomBytes(32).toString('base64url') }),
    ...options.vars,
    ...services.env,
  };
  // `npm run token` reads the database and secret from the record, readable by this user only.
  lock.update({
    databaseUrl: services.databaseUrl,
    ...(vars.JWT_SECRET ? { jwtSecret: vars.JWT_SECRET } : {}),
  });
  const { upstash, neon } = services;
  log(`Upstash REST ${upstash.url} (stats: ${upstash.url}/__stats)`);
  log(`Neon SQL-over-HTTP ${neon.endpoint} (stats: ${neon.url}/__stats)`);
  log(services.demoOrigin ? `demo origin ${services.demoOrigin}` : `origin ${options.origin}`);

  parseConfig(vars); // fail here, with every problem named, rather than on the first request
  await assertPortFree(port); // taken while the services started?
  if (stopping) return;
  wrangler = startWrangler(port, writeVarsFile(vars));
  wrangler.child.once('exit', (code, signal) => {
    // Before the Worker is ready, waitForWorker reports the failure (naming a busy port).
    if (ready && !stopping) {
      log(`wrangler exited (${code ?? signal}); stopping`);
      void stop(1);
    }
  });
  await waitForWorker(port, wrangler, () => stopping);
  if (stopping) return;
  ready = true;
  console.log(await banner(url, port, options, services, vars));
}

/** What to try once the Worker answers: the demo's curl, or how to get a token for your own users. */
async function banner(url: string, port: number, options: DevOptions, services: DevServices, vars: Env) {
  const tokenCommand = `${port === DEV_WORKER_PORT ? '' : `PORT=${port} `}npm run token`;
  const stats = `Round trips and writes so far: curl ${services.upstash.url}/__stats ; curl ${services.neon.url}/__stats`;
  if (services.demoSession && vars.JWT_SECRET) {
    const token = await mintToken({
      secret: vars.JWT_SECRET,
      userId: DEV_DEMO_USER,
      sessionId: services.demoSession,
      ttlSeconds: DEMO_TTL_SECONDS,
    });
    return `
edge-auth is running on ${url}

Try it (the answer comes from the demo origin, with the identity headers edge-auth added):

  curl -i ${url}/hello -H 'Authorization: Bearer ${token}'

Also: GET /auth/session, GET /auth/verify, POST /auth/logout, GET /healthz.
Mint a token for a fresh session (after a logout, say): ${tokenCommand}
${stats}
Press Ctrl-C to stop everything.
`;
  }
  const front = options.origin ? `your app at ${options.origin}` : 'the demo origin (it echoes what it gets)';
  return `
edge-auth is running on ${url}, in front of ${front}

A token for a user of the database: ${tokenCommand} -- --user <id>
${vars.PUBLIC_PATHS ? `Public paths (no token needed): ${vars.PUBLIC_PATHS}\n` : ''}${stats}
Press Ctrl-C to stop everything.
`;
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEV_WORKER_PORT;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) {
    throw new DevError(`PORT must be a port number from 1 to 65535, not ${JSON.stringify(raw)}`);
  }
  return port;
}

/** A bind test on the address wrangler will listen on; a listener there would make wrangler fail late. */
async function assertPortFree(port: number) {
  const code = await portBusy(port);
  if (code === 'EADDRINUSE') throw portInUse(port);
  if (code) throw new DevError(`cannot listen on 127.0.0.1:${port} (${code}); use PORT=<another port>`);
}

/**
 * Writes the bindings to a file only this user can read, for `wrangler dev --env-file`: a command
 * line is visible to every user in `ps`, and these carry JWT_SECRET, the Redis token and the database URL.
 */
function writeVarsFile(vars: Env): string {
  varsDir = mkdtempSync(join(tmpdir(), 'edge-auth-dev-')); // mode 0700
  const path = join(varsDir, 'bindings.env');
  writeFileSync(path, formatVars(vars), { mode: 0o600, flag: 'wx' });
  return path;
}

/** Stops everything this process started, in reverse order, then exits; safe to call more than once. */
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  if (wrangler?.child.pid) await endGroup(wrangler.child.pid, () => hurry);
  removeVarsFile();
  // A stop during startup waits for the services to come up (or fail) so that what they started is undone.
  const services = await servicesStarting?.catch(() => undefined);
  await services?.stop();
  lock?.release(); // last: until here a new instance on this port would race the teardown
  process.exit(code);
}

/** Set by a second Ctrl-C (or SIGTERM/SIGHUP) while stopping: do not wait for wrangler any longer. */
let hurry = false;

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
