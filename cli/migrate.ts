// `edge-auth migrate`: applies the schema shipped in the package (migrations/,
// found beside this file's directory both in the repository and installed) to
// DATABASE_URL, with the checks of scripts/migrate.ts.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { layered, USERS_TABLE_OPTIONS, usersTableFlags, usersTableOf } from '../dev/settings';
import { migrate } from '../scripts/migrate';
import { CliError, databaseFailure, describeDatabase, parseFlags } from './command';

/**
 * migrations/ of the package: cli/ in the repository and dist/ once built are both one level
 * below the package root.
 */
export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations');

export const MIGRATE_HELP = `Usage: edge-auth migrate [options]

Applies edge-auth's schema to a PostgreSQL database (Neon's direct URL, or any
other): the sessions table, and edge-auth's own users table unless
--users-table names an existing one. Idempotent: each migration is applied once
(recorded in schema_migrations, under an advisory lock). An existing users table
is checked first (id type, the columns edge-auth reads, the touch column); when
it does not fit, nothing is applied and the error says what to change.

  --database-url <url>     the database (default: DATABASE_URL)
  --users-table <table>    an existing users table, e.g. auth_user (Django);
                           default: edge-auth's own "users" (USERS_TABLE)
  --user-id-type <type>    its id type: text, integer (Django) or bigint (USER_ID_TYPE)
  --touch-column <column>  the timestamp edge-auth touches (TOUCH_COLUMN; default last_login)
  -h, --help               this text

Flags win over the environment. For a Django database:
  edge-auth migrate --users-table auth_user --user-id-type integer`;

/**
 * Runs `edge-auth migrate` with `argv` (the arguments after `migrate`).
 *
 * @example
 * await migrateCommand(['--database-url', url, '--users-table', 'auth_user', '--user-id-type', 'integer']);
 */
export async function migrateCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const flags = parseFlags(
    argv,
    { 'database-url': { type: 'string' }, ...USERS_TABLE_OPTIONS },
    MIGRATE_HELP,
    'edge-auth migrate',
  );
  if (!flags) return;
  const settings = layered(
    { source: 'flags', values: { DATABASE_URL: flags['database-url'], ...usersTableFlags(flags) } },
    { source: 'environment', values: env },
  );
  const { users, problems } = usersTableOf(settings);
  const url = settings.get('DATABASE_URL');
  if (!url) problems.push('no database: set DATABASE_URL or pass --database-url postgres://…');
  if (problems.length > 0) throw new CliError(problems.join('\n'), 2);
  const database = describeDatabase(url as string);
  console.error(`[migrate] ${database}, users table ${users.table} (${users.idType} ids)`);
  try {
    const applied = await migrate(url as string, { users, dir: MIGRATIONS_DIR, log: console.log });
    console.log(applied.length ? `${applied.length} migration(s) applied` : 'schema up to date');
  } catch (err) {
    throw databaseFailure(url as string, err);
  }
}
