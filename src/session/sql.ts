import {
  DEFAULT_USERS_TABLE,
  isIdentifier,
  isTableName,
  type UserIdType,
  type UsersTableConfig,
} from '../config/database';
import type { UserProfile } from './types';

/**
 * The statements `createNeonSessionStore` sends, built once from the users
 * table's configuration. Every comparison with a user id is `id = $n::<type>`
 * — the parameter cast to the column's type, never the column to text — so
 * Postgres can use the primary-key index (`id::text = $1` is a sequential
 * scan of the whole users table).
 */
export interface SessionSql {
  /** One SELECT by session id: the session joined with its user; `$1` = sid. */
  load: string;
  /** The conditional touch; `$1` = user id, `$2` = interval in seconds. */
  touch: string;
  /** Revokes a live session of its owner; `$1` = sid, `$2` = user id. */
  revoke: string;
}

/**
 * Double-quotes a validated identifier. Throws on anything else, so a name
 * that skipped validation can never reach a statement.
 *
 * @example
 * quoteIdentifier('last_seen') // '"last_seen"'
 */
export function quoteIdentifier(name: string): string {
  if (!isIdentifier(name)) throw new TypeError('refusing to quote a name that is not a plain identifier');
  return `"${name}"`;
}

/**
 * Quotes `table` or `schema.table` part by part.
 *
 * @example
 * quoteTableName('app.auth_user') // '"app"."auth_user"'
 */
export function quoteTableName(name: string): string {
  if (!isTableName(name)) throw new TypeError('refusing to quote a name that is not a plain table name');
  return name.split('.').map(quoteIdentifier).join('.');
}

/**
 * Builds the store's statements for a users table.
 *
 * @example
 * sessionSql({ table: 'auth_user', idType: 'integer', touchColumn: 'last_login' }).touch
 * // UPDATE "auth_user" SET "last_login" = now() WHERE id = $1::integer AND (…)
 */
export function sessionSql(users: UsersTableConfig = DEFAULT_USERS_TABLE): SessionSql {
  const table = quoteTableName(users.table);
  const touched = quoteIdentifier(users.touchColumn);
  const id = users.idType;
  return {
    // The id goes back to the Worker as text whatever its type; Django's
    // email is NOT NULL with '' meaning "none", so '' reads as absent.
    load: `SELECT s.id, u.id::text AS user_id, s.data, s.revoked_at IS NOT NULL AS revoked,
  (extract(epoch FROM (s.expires_at - now())) * 1000)::float8 AS remaining_ms,
  u.username, NULLIF(u.email, '') AS email, u.first_name, u.last_name, u.is_staff, u.is_active, u.is_superuser
FROM sessions s JOIN ${table} u ON u.id = s.user_id
WHERE s.id = $1`,
    // One statement, no transaction, no read before it: the WHERE clause
    // keeps the column monotonic and makes a repeated touch a no-op even
    // when the Redis marker is lost.
    touch: `UPDATE ${table} SET ${touched} = now() WHERE id = $1::${id} AND (${touched} IS NULL OR ${touched} < now() - make_interval(secs => $2))`,
    revoke: `UPDATE sessions SET revoked_at = now() WHERE id = $1 AND user_id = $2::${id} AND revoked_at IS NULL AND expires_at > now()`,
  };
}

/** The users-table columns every store's SELECT returns (`id::text AS user_id`, `NULLIF(email, '')`). */
export interface UserColumns {
  user_id: string;
  username: string;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  is_staff: boolean;
  is_active: boolean;
  is_superuser: boolean;
}

/**
 * A users-table row as the profile edge-auth forwards.
 *
 * @example
 * profileOf(rows[0]) // { id: '42', username: 'ada', email: null, … }
 */
export function profileOf(row: UserColumns): UserProfile {
  return {
    id: row.user_id,
    username: row.username,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    isStaff: row.is_staff,
    isActive: row.is_active,
    isSuperuser: row.is_superuser,
  };
}

/** Inclusive bounds of Postgres's integer types. */
const INTEGER_RANGES: Record<Exclude<UserIdType, 'text'>, readonly [bigint, bigint]> = {
  integer: [-(2n ** 31n), 2n ** 31n - 1n],
  bigint: [-(2n ** 63n), 2n ** 63n - 1n],
};
/** Canonical decimal only: no sign but '-', no leading zeros, no spaces, no exponent. */
const CANONICAL_INTEGER = /^(?:0|-?[1-9][0-9]{0,19})$/;

/**
 * Whether `value` (a token's `sub`) can be a user id of this type, checked
 * before any statement so a malformed id is an unknown user, never a cast
 * error (a 503). Integers must be in canonical form, the same text
 * `u.id::text` returns: `042` would cast to 42 but never equal `"42"`.
 *
 * @example
 * isUserIdOf('integer', '42') // true
 * isUserIdOf('integer', 'abc') // false (and '1.5', '2147483648')
 */
export function isUserIdOf(idType: UserIdType, value: string): boolean {
  if (idType === 'text') return true;
  if (!CANONICAL_INTEGER.test(value)) return false;
  const [min, max] = INTEGER_RANGES[idType];
  const n = BigInt(value);
  return n >= min && n <= max;
}
