import type { Env } from '../env';
import { TEXTS } from './defaults';

/** SQL types edge-auth can compare a user id with (and cast a token's `sub` to). */
export type UserIdType = 'text' | 'integer' | 'bigint';
export const USER_ID_TYPES: readonly UserIdType[] = ['text', 'integer', 'bigint'];

/**
 * Where the users live. Names are validated identifiers, stored unquoted;
 * `src/session/sql.ts` double-quotes them when it builds statements, so they
 * are used exactly as written (case-sensitively, the way Postgres stores them).
 */
export interface UsersTableConfig {
  /** `USERS_TABLE`: `table` or `schema.table`. */
  table: string;
  /** `USER_ID_TYPE`: the type of the table's `id` primary key. */
  idType: UserIdType;
  /** `TOUCH_COLUMN`: the timestamp the touch writes. */
  touchColumn: string;
}

/** edge-auth's own schema (migrations/0001_init.sql). */
export const DEFAULT_USERS_TABLE: Readonly<UsersTableConfig> = {
  table: TEXTS.USERS_TABLE,
  idType: TEXTS.USER_ID_TYPE,
  touchColumn: TEXTS.TOUCH_COLUMN,
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Postgres silently truncates longer names (NAMEDATALEN - 1), which would name another table. */
const MAX_IDENTIFIER_LENGTH = 63;

/**
 * Whether `name` is a plain SQL identifier edge-auth will put in a statement:
 * `[A-Za-z_][A-Za-z0-9_]*`, at most 63 characters. Nothing else is ever
 * interpolated, so quoting can never be escaped.
 *
 * @example
 * isIdentifier('auth_user') // true
 * isIdentifier('users; DROP TABLE x') // false
 */
export function isIdentifier(name: string): boolean {
  return name.length <= MAX_IDENTIFIER_LENGTH && IDENTIFIER.test(name);
}

/**
 * Whether `name` is `table` or `schema.table`, each part an identifier.
 *
 * @example
 * isTableName('app.auth_user') // true
 * isTableName('a.b.c') // false
 */
export function isTableName(name: string): boolean {
  const parts = name.split('.');
  return parts.length <= 2 && parts.every(isIdentifier);
}

/**
 * Reads `USERS_TABLE`, `USER_ID_TYPE` and `TOUCH_COLUMN`, applying the
 * defaults of edge-auth's own schema. Problems are appended to `problems`
 * (reported with every other one by `parseConfig`); names never echo values.
 * The migration runner (`scripts/migrate.ts`) uses the same function, so the
 * Worker and the schema it needs are validated alike.
 *
 * @example
 * const problems: string[] = [];
 * parseUsersTable((name) => ({ USERS_TABLE: 'auth_user', USER_ID_TYPE: 'integer' })[name], problems);
 * // { table: 'auth_user', idType: 'integer', touchColumn: 'last_login' }
 */
export function parseUsersTable(
  read: (name: keyof Env) => string | undefined,
  problems: string[],
): UsersTableConfig {
  const table = read('USERS_TABLE') ?? DEFAULT_USERS_TABLE.table;
  if (!isTableName(table)) {
    problems.push(
      'USERS_TABLE must be a table name ([A-Za-z_][A-Za-z0-9_]*, at most 63 characters), optionally schema-qualified (schema.table)',
    );
  }
  const idType = (read('USER_ID_TYPE') ?? DEFAULT_USERS_TABLE.idType).toLowerCase();
  if (!isUserIdType(idType)) problems.push('USER_ID_TYPE must be "text", "integer" or "bigint"');
  const touchColumn = read('TOUCH_COLUMN') ?? DEFAULT_USERS_TABLE.touchColumn;
  if (!isIdentifier(touchColumn)) {
    problems.push('TOUCH_COLUMN must be a column name ([A-Za-z_][A-Za-z0-9_]*, at most 63 characters)');
  }
  return {
    table: isTableName(table) ? table : DEFAULT_USERS_TABLE.table,
    idType: isUserIdType(idType) ? idType : DEFAULT_USERS_TABLE.idType,
    touchColumn: isIdentifier(touchColumn) ? touchColumn : DEFAULT_USERS_TABLE.touchColumn,
  };
}

function isUserIdType(value: string): value is UserIdType {
  return (USER_ID_TYPES as readonly string[]).includes(value);
}
