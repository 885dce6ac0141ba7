-- edge-auth schema. scripts/migrate.ts fills in the users table it is pointed
-- at (USERS_TABLE, USER_ID_TYPE; validated identifiers, double-quoted):
-- {{users_table}}, {{user_id_type}}. By default that is edge-auth's own
-- `users`, created here; an existing table (Django's auth_user) is only
-- referenced, never created or altered. Column names mirror Django's auth_user.

-- edge-auth:if create_users_table
CREATE TABLE {{users_table}} (
  id            {{user_id_type}} PRIMARY KEY,
  username      text NOT NULL UNIQUE,
  email         text,
  first_name    text,
  last_name     text,
  is_staff      boolean NOT NULL DEFAULT false,
  is_active     boolean NOT NULL DEFAULT true,
  is_superuser  boolean NOT NULL DEFAULT false,
  last_login    timestamptz
);
-- edge-auth:end

-- user_id has the users table's id type: a foreign key needs it, and so does
-- the primary-key index the session SELECT joins on.
CREATE TABLE sessions (
  id          text PRIMARY KEY,
  user_id     {{user_id_type}} NOT NULL REFERENCES {{users_table}}(id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz,
  data        jsonb NOT NULL DEFAULT '{}'
);

-- Logout and "revoke all sessions of a user" look sessions up by owner.
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
