import { DEFAULT_USERS_TABLE, type UsersTableConfig } from '../config/database';
import { quoteTableName, sessionSql } from '../session/sql';

/** Django's session table (`django.contrib.sessions`), unless `db_table` was changed. */
export const DJANGO_SESSION_TABLE = 'django_session';

/** Django's `auth_user`: integer ids, `last_login` as the touch column. */
export const DJANGO_USERS_TABLE: Readonly<UsersTableConfig> = {
  table: 'auth_user',
  idType: 'integer',
  touchColumn: DEFAULT_USERS_TABLE.touchColumn,
};

/**
 * The statements of Django session mode: each reads one row by its primary
 * key (`session_key`, `id`), so a cold miss costs at most two index scans.
 * Only rows with `expire_date > now()` exist for Django, as for its own
 * backends; logout deletes the row, as `SessionStore.delete` does.
 *
 * @example
 * djangoSql().session // SELECT session_data, … FROM "django_session" WHERE session_key = $1 AND expire_date > now()
 */
export function djangoSql(users: UsersTableConfig = DJANGO_USERS_TABLE, sessionTable = DJANGO_SESSION_TABLE) {
  const sessions = quoteTableName(sessionTable);
  const table = quoteTableName(users.table);
  return {
    session: `SELECT session_data, (extract(epoch FROM (expire_date - now())) * 1000)::float8 AS remaining_ms
FROM ${sessions} WHERE session_key = $1 AND expire_date > now()`,
    // Django's email is NOT NULL with '' meaning "none": '' reads as absent. The password hash
    // leaves the database only for the auth-hash check; it is never cached, logged or forwarded.
    user: `SELECT id::text AS user_id, username, NULLIF(email, '') AS email, first_name, last_name,
  is_staff, is_active, is_superuser, password
FROM ${table} WHERE id = $1::${users.idType}`,
    logout: `DELETE FROM ${sessions} WHERE session_key = $1`,
    touch: sessionSql(users).touch,
  };
}
