// Settings from several places at once — flags, the environment, a `.dev.vars`
// file — where the first place that has a name wins, and messages can say
// where a value came from (never what it is). Shared by `npm run dev` and the
// `edge-auth` command.
import { parseUsersTable, type UsersTableConfig } from '../src/config/database';
import type { Env } from '../src/env';

/** One place settings come from: `source` names it in messages ("--database-url", ".dev.vars"). */
export interface SettingsLayer {
  source: string;
  values: Readonly<Record<string, string | undefined>>;
}

/** Reads a name from the first layer that has a non-empty value for it. */
export interface Settings {
  get(name: string): string | undefined;
  /** Where `get(name)` came from, for messages. */
  sourceOf(name: string): string | undefined;
}

/**
 * Layers settings; earlier layers win. Empty values count as unset.
 *
 * @example
 * const settings = layered({ source: 'flags', values: { DATABASE_URL: flag } }, { source: 'environment', values: process.env });
 * settings.get('DATABASE_URL'); settings.sourceOf('DATABASE_URL') // 'environment'
 */
export function layered(...layers: SettingsLayer[]): Settings {
  const find = (name: string) => layers.find((layer) => layer.values[name]?.trim());
  return {
    get: (name) => find(name)?.values[name]?.trim(),
    sourceOf: (name) => find(name)?.source,
  };
}

/** The users-table flags, shared by `edge-auth migrate`/`local` and `npm run dev`, and their variables. */
export const USERS_TABLE_FLAGS = {
  'users-table': 'USERS_TABLE',
  'user-id-type': 'USER_ID_TYPE',
  'touch-column': 'TOUCH_COLUMN',
} as const satisfies Record<string, keyof Env>;

/** `parseArgs` option definitions for `USERS_TABLE_FLAGS`. */
export const USERS_TABLE_OPTIONS = {
  'users-table': { type: 'string' },
  'user-id-type': { type: 'string' },
  'touch-column': { type: 'string' },
} as const;

/**
 * The values of the users-table flags that were given, by variable name.
 *
 * @example
 * usersTableFlags({ 'users-table': 'auth_user' }) // { USERS_TABLE: 'auth_user' }
 */
export function usersTableFlags(values: Partial<Record<keyof typeof USERS_TABLE_FLAGS, unknown>>) {
  const vars: Partial<Record<(typeof USERS_TABLE_FLAGS)[keyof typeof USERS_TABLE_FLAGS], string>> = {};
  for (const [flag, name] of Object.entries(USERS_TABLE_FLAGS)) {
    const value = values[flag as keyof typeof USERS_TABLE_FLAGS];
    if (typeof value === 'string') vars[name] = value;
  }
  return vars;
}

/**
 * The users table from `USERS_TABLE`, `USER_ID_TYPE` and `TOUCH_COLUMN`, validated the way the
 * Worker validates them; problems are returned, not thrown, so they can be reported together.
 *
 * @example
 * usersTableOf(layered({ source: 'flags', values: { USERS_TABLE: 'auth_user', USER_ID_TYPE: 'integer' } }))
 * // { users: { table: 'auth_user', idType: 'integer', touchColumn: 'last_login' }, problems: [] }
 */
export function usersTableOf(settings: Settings): { users: UsersTableConfig; problems: string[] } {
  const problems: string[] = [];
  const users = parseUsersTable((name) => settings.get(name), problems);
  return { users, problems };
}
