import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { basename, join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type DirStat, findEmbeddedBinaries, mirrorTree, traversable } from './embedded-binaries';
import { startEmbeddedPostgres } from './embedded-postgres';

const isRoot = userInfo().uid === 0;
const POSTGRES = { uid: 101, gid: 104 };

describe('traversable', () => {
  const tree = (dirs: Record<string, DirStat>) => (path: string) => {
    const found = dirs[path];
    if (!found) throw new Error(`no stat for ${path}`);
    return found;
  };
  const open = { mode: 0o40755, uid: 0, gid: 0 };

  it('needs search permission on every directory from / down, as owner, group or other', () => {
    const home = (mode: number, uid = 0, gid = 0) =>
      tree({ '/': open, '/root': { mode, uid, gid }, '/root/app': open });
    expect(traversable('/root/app', POSTGRES, home(0o40700))).toBe(false); // a checkout in root's home
    expect(traversable('/root/app', POSTGRES, home(0o40711))).toBe(true);
    expect(traversable('/root/app', POSTGRES, home(0o40710, 0, POSTGRES.gid))).toBe(true);
    expect(traversable('/root/app', POSTGRES, home(0o40770, 0, 7))).toBe(false);
    expect(traversable('/root/app', POSTGRES, home(0o40700, POSTGRES.uid))).toBe(true);
    // The owner's bits count for the owner only, even when "other" would allow it.
    expect(traversable('/root/app', POSTGRES, home(0o40601, POSTGRES.uid))).toBe(false);
    expect(traversable('/root/app', { uid: 0, gid: 0 }, home(0o40000))).toBe(true);
  });
});

describe('startEmbeddedPostgres', () => {
  const made: string[] = [];
  const dir = async (mode: number) => {
    const path = await mkdtemp(join(tmpdir(), 'edge-auth-pg-test-'));
    made.push(path);
    await chmod(path, mode);
    return path;
  };
  const passwordFilesInTmp = async () =>
    (await readdir(tmpdir())).filter((name) => name.startsWith('pg-password-')).sort();
  afterAll(async () => {
    for (const path of made) await rm(path, { recursive: true, force: true });
  });

  it('runs from binaries inside a 0700 directory, keeps all it writes in one private directory and leaves nothing behind', async () => {
    // The checkout: the repository (so node_modules) inside a directory of mode 0700.
    const home = await dir(0o700);
    await mirrorTree(await findEmbeddedBinaries(), join(home, 'native'));
    const tmpRoot = await dir(0o755);
    const passwordFiles = await passwordFilesInTmp();

    const cluster = await startEmbeddedPostgres(undefined, { binaries: join(home, 'native'), tmpRoot });
    try {
      expect(await readdir(tmpRoot)).toEqual([basename(cluster.dir)]);
      const own = await stat(cluster.dir);
      expect(own.mode & 0o777).toBe(0o700);
      const owner = isRoot
        ? Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout)
        : userInfo().uid;
      expect(own.uid).toBe(owner);
      // The password file initdb read is gone once the server runs; none ever went to the shared tmp.
      expect(await readdir(cluster.dir)).not.toContain('password');
      expect(await passwordFilesInTmp()).toEqual(passwordFiles);

      const client = new pg.Client({
        host: cluster.host,
        port: cluster.port,
        user: cluster.user,
        password: cluster.password,
        database: 'postgres',
      });
      await client.connect();
      const { rows } = await client.query<{ answer: number }>('SELECT 6 * 7 AS answer');
      await client.end();
      expect(rows).toEqual([{ answer: 42 }]);
    } finally {
      await cluster.stop();
    }
    expect(await readdir(tmpRoot)).toEqual([]);
  }, 60_000);

  it('as root, a temporary directory the postgres user cannot enter fails at once with the one-line fix and writes nothing', async () => {
    const tmpRoot = await dir(0o700);
    const start = startEmbeddedPostgres(undefined, { tmpRoot });
    if (isRoot) {
      await expect(start).rejects.toThrow(
        `embedded PostgreSQL runs as the postgres user, which cannot enter ${tmpRoot}: set TMPDIR to a directory it can enter (TMPDIR=/tmp), or start PostgreSQL and set DATABASE_URL`,
      );
    } else {
      // Not root: the server runs as this user, who can enter its own 0700 directory.
      await (await start).stop();
    }
    expect(await readdir(tmpRoot)).toEqual([]);
  }, 60_000);
});
