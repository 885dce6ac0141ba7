// The migration runner behind `edge-auth migrate` (cli/migrate.ts), `npm run migrate` and the local
// stack: the schema templates of migrations/ applied in order, once each.
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { DEFAULT_USERS_TABLE, type UsersTableConfig } from '../src/config/database';
import { quoteIdentifier, quoteTableName } from '../src/session/sql';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations');
/** Any fixed number works; it only has to be the same for every runner. */
const LOCK_ID = 7_411_210;

/** Options for `migrate`. */
export interface MigrateOptions {
  log?: (line: string) => void;
  dir?: string;
  /** The users table the sessions reference (`USERS_TABLE`, `USER_ID_TYPE`, `TOUCH_COLUMN`). Default: edge-auth's own `users`. */
  users?: UsersTableConfig;
}

/**
 * Applies `migrations/*.sql` in name order, each in its own transaction, and
 * records each in `schema_migrations` so it is applied once. An advisory lock
 * keeps two runners (two deploys, two test workers) from racing.
 *
 * The files are templates for the users table (`renderMigration`): edge-auth
 * creates its own `users` when that table is missing, and otherwise only
 * references the existing table — checked first for the id type, the columns
 * the session SELECT reads and the touch column, so a mismatch is one clear
 * error and nothing is applied.
 *
 * @example
 * await migrate('postgres://postgres@127.0.0.1:5432/app'); // ['0001_init.sql']
 * await migrate(url, { users: { table: 'auth_user', idType: 'integer', touchColumn: 'last_login' } });
 */
export async function migrate(databaseUrl: string, options: MigrateOptions = {}): Promise<string[]> {
  const log = options.log ?? (() => {});
  const dir = options.dir ?? MIGRATIONS_DIR;
  const users = options.users ?? DEFAULT_USERS_TABLE;
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
    const pending = files.filter((f) => !done.has(f));
    if (pending.length === 0) return applied;
    const createUsersTable = await checkUsersTable(client, users);
    for (const file of pending) {
      const sql = renderMigration(await readFile(join(dir, file), 'utf8'), users, { createUsersTable });
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

/**
 * Fills a migration template: `{{users_table}}` (quoted), `{{user_id_type}}`,
 * and keeps `-- edge-auth:if create_users_table` … `-- edge-auth:end` blocks
 * only when the flag is set. Any other placeholder or flag is an error, so a
 * typo never reaches the database.
 *
 * @example
 * renderMigration('CREATE TABLE s (u {{user_id_type}} REFERENCES {{users_table}}(id));', auth, { createUsersTable: false })
 * // 'CREATE TABLE s (u integer REFERENCES "auth_user"(id));'
 */
export function renderMigration(
  template: string,
  users: UsersTableConfig,
  flags: { createUsersTable: boolean },
): string {
  const values: Record<string, string> = {
    users_table: quoteTableName(users.table),
    user_id_type: users.idType,
  };
  const known: Record<string, boolean> = { create_users_table: flags.createUsersTable };
  const blocks = /^-- edge-auth:if (\w+)\n([\s\S]*?)^-- edge-auth:end\n?/gm;
  const kept = template.replace(blocks, (_, flag: string, body: string) => {
    if (!(flag in known)) throw new Error(`unknown migration flag ${flag}`);
    return known[flag] ? body : '';
  });
  if (/^-- edge-auth:/m.test(kept)) throw new Error('unbalanced "-- edge-auth:if" block');
  return kept.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`unknown migration placeholder {{${name}}}`);
    return value;
  });
}

/** What the session SELECT reads from the users table, besides `id`. */
const PROFILE_COLUMNS = [
  'username',
  'email',
  'first_name',
  'last_name',
  'is_staff',
  'is_active',
  'is_superuser',
];
const ID_TYPES: Record<UsersTableConfig['idType'], RegExp> = {
  text: /^(text|character varying(\(\d+\))?)$/,
  integer: /^integer$/,
  bigint: /^bigint$/,
};

/**
 * Whether the migration must create the users table (edge-auth's own, when
 * missing), after checking an existing one fits: `id` is its primary key of
 * the configured type, and the columns edge-auth reads and writes are there.
 */
async function checkUsersTable(client: pg.Client, users: UsersTableConfig): Promise<boolean> {
  const name = quoteTableName(users.table);
  const { rows } = await client.query<{ column: string; type: string; primary: boolean }>(
    `SELECT a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary
               AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum) AS primary
     FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`,
    [name],
  );
  if (rows.length === 0) {
    if (users.table !== DEFAULT_USERS_TABLE.table) {
      throw new Error(
        `USERS_TABLE ${name} does not exist: create it first (Django: python manage.py migrate), or leave USERS_TABLE unset for edge-auth's own users table`,
      );
    }
    if (users.touchColumn !== DEFAULT_USERS_TABLE.touchColumn) {
      throw new Error(
        `TOUCH_COLUMN ${quoteIdentifier(users.touchColumn)}: edge-auth's own users table has last_login`,
      );
    }
    return true;
  }
  const columns = new Map(rows.map((r) => [r.column, r]));
  const id = columns.get('id');
  if (!id?.primary) throw new Error(`USERS_TABLE ${name} has no primary key "id"`);
  if (!ID_TYPES[users.idType].test(id.type)) {
    const hint = Object.entries(ID_TYPES).find(([, re]) => re.test(id.type))?.[0];
    throw new Error(
      `${name}.id is ${id.type}, not ${users.idType}: ${hint ? `set USER_ID_TYPE=${hint}` : 'edge-auth supports text, integer and bigint ids'}`,
    );
  }
  const missing = PROFILE_COLUMNS.filter((c) => !columns.has(c));
  if (missing.length > 0) throw new Error(`USERS_TABLE ${name} lacks the columns ${missing.join(', ')}`);
  const touch = columns.get(users.touchColumn);
  if (!touch || !/^timestamp with(out)? time zone$/.test(touch.type)) {
    const column = quoteIdentifier(users.touchColumn);
    throw new Error(
      `TOUCH_COLUMN ${column} must be a timestamptz column of ${name}; add it with: ALTER TABLE ${name} ADD COLUMN ${column} timestamptz NULL;`,
    );
  }
  return false;
}
