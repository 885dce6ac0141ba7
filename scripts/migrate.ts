import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations');
/** Any fixed number works; it only has to be the same for every runner. */
const LOCK_ID = 7_411_210;

/**
 * Applies `migrations/*.sql` in name order, each in its own transaction, and
 * records each in `schema_migrations` so it is applied once. An advisory lock
 * keeps two runners (two deploys, two test workers) from racing.
 *
 * @example
 * await migrate('postgres://postgres@127.0.0.1:5432/app'); // ['0001_init.sql']
 */
export async function migrate(
  databaseUrl: string,
  options: { log?: (line: string) => void; dir?: string } = {},
): Promise<string[]> {
  const log = options.log ?? (() => {});
  const dir = options.dir ?? MIGRATIONS_DIR;
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_ID]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set(
      (await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name),
    );
    for (const file of files) {
      if (done.has(file)) continue;
      const sql = await readFile(join(dir, file), 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(err as Error).message}`);
      }
      applied.push(file);
      log(`applied ${file}`);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_ID]).catch(() => {});
    await client.end();
  }
  return applied;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('DATABASE_URL is required (a postgres:// URL reachable over TCP)');
    process.exit(2);
  }
  migrate(url, { log: console.log })
    .then((applied) =>
      console.log(applied.length ? `${applied.length} migration(s) applied` : 'schema up to date'),
    )
    .catch((err: Error) => {
      console.error(err.message);
      process.exit(1);
    });
}
