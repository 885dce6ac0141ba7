// The command line of `npm run dev`: the demo by default; with --origin and
// --database-url, the Worker in front of the user's own app and database, the
// other settings from flags or a `.dev.vars` file (flags win).
import { parseArgs } from 'node:util';
import type { UsersTableConfig } from '../src/config/database';
import type { Env } from '../src/env';
import { layered, USERS_TABLE_FLAGS, USERS_TABLE_OPTIONS, usersTableFlags, usersTableOf } from './settings';
import { VarsFileError, varsFileLayer } from './vars-file';
import { DevError } from './wrangler-dev';

export const DEV_HELP = `Usage: npm run dev [-- options]

Runs edge-auth under wrangler dev on http://127.0.0.1:$PORT (default 8787) with
local Upstash and Neon endpoints in front of Redis and PostgreSQL (found, or
started). Without options: the demo (a demo origin, a seeded demo user).

  --origin <url>           forward to your app instead of the demo origin
                           (e.g. http://127.0.0.1:8000); nothing is seeded
  --database-url <url>     your database instead of the dev one: migrated
                           (idempotent), never seeded, created or dropped
  --public <paths>         PUBLIC_PATHS, e.g. /login,/static/* (demo: /public)
  --users-table <table>    USERS_TABLE, e.g. auth_user (Django)
  --user-id-type <type>    USER_ID_TYPE: text, integer (Django) or bigint
  --touch-column <column>  TOUCH_COLUMN (default last_login)
  --vars-file <file>       the Worker's other settings (JWT_SECRET, SESSION_COOKIE,
                           DJANGO_* …); default .dev.vars when there is one
  -h, --help               this text

Flags win over the file. The file's UPSTASH_*, NEON_FETCH_ENDPOINT, REDIS_KEY_PREFIX,
DATABASE_URL and ORIGIN_URL are not used: npm run dev runs its own services, and
only --origin and --database-url point it at yours. Without a key in the file
(JWT_SECRET, JWT_PUBLIC_JWKS, JWT_JWKS_URL) the Worker gets a random secret per
run; npm run token signs with it.`;

/** Bindings a vars file may not set: the services are this command's own, or named by a flag. */
const SERVICE_VARS = [
  'UPSTASH_REDIS_REST_URL',
  'UPSTASH_REDIS_REST_TOKEN',
  'NEON_FETCH_ENDPOINT',
  'REDIS_KEY_PREFIX',
  'DATABASE_URL',
  'ORIGIN_URL',
] as const;
const KEY_VARS = ['JWT_SECRET', 'JWT_PUBLIC_JWKS', 'JWT_JWKS_URL'] as const;

/** What `npm run dev` was asked for. */
export interface DevOptions {
  /** Your app (`ORIGIN_URL`); undefined: the demo origin. */
  origin?: string;
  /** Your database; undefined: the dev database. */
  databaseUrl?: string;
  users?: UsersTableConfig;
  /** The Worker's settings from the flags and the file, services excluded. */
  vars: Env;
  /** True when `vars` holds a key source; otherwise the run makes a secret. */
  hasKey: boolean;
  /** Lines for the log: which file was read, what of it was not used. */
  notes: string[];
}

/**
 * Parses `npm run dev`'s arguments; undefined after printing the help.
 *
 * @example
 * parseDevOptions(['--origin', 'http://127.0.0.1:8000', '--public', '/login'])
 */
export function parseDevOptions(argv: string[]): DevOptions | undefined {
  let values: ReturnType<typeof parse>;
  try {
    values = parse(argv);
  } catch (err) {
    throw new DevError(`${(err as Error).message}; see npm run dev -- --help`);
  }
  if (values.help) {
    console.log(DEV_HELP);
    return undefined;
  }
  let file: ReturnType<typeof varsFileLayer>;
  try {
    file = varsFileLayer(values['vars-file']);
  } catch (err) {
    if (err instanceof VarsFileError) throw new DevError(err.message);
    throw err;
  }
  const flags = { PUBLIC_PATHS: values.public, ...usersTableFlags(values) };
  const settings = layered({ source: 'flags', values: flags }, ...file);
  const vars: Record<string, string> = {};
  const notes: string[] = [];
  for (const layer of file) {
    const ignored = SERVICE_VARS.filter((name) => layer.values[name] !== undefined);
    notes.push(
      `settings from ${layer.source}${ignored.length ? `; not used from it: ${ignored.join(', ')}` : ''}`,
    );
    for (const name of Object.keys(layer.values)) {
      if (!(SERVICE_VARS as readonly string[]).includes(name)) vars[name] = layer.values[name] ?? '';
    }
  }
  for (const [name, value] of Object.entries(flags)) if (value !== undefined) vars[name] = value;
  const { users, problems } = usersTableOf(settings);
  if (problems.length > 0) throw new DevError(problems.join('; '));
  const named = Object.values(USERS_TABLE_FLAGS).some((name) => settings.get(name) !== undefined);
  return {
    ...(values.origin ? { origin: values.origin } : {}),
    ...(values['database-url'] ? { databaseUrl: values['database-url'] } : {}),
    ...(named ? { users } : {}),
    vars,
    hasKey: KEY_VARS.some((name) => vars[name]),
    notes,
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      origin: { type: 'string' },
      'database-url': { type: 'string' },
      public: { type: 'string' },
      'vars-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      ...USERS_TABLE_OPTIONS,
    },
    strict: true,
    allowPositionals: false,
  }).values;
}
