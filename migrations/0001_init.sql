-- edge-auth schema. Column names mirror Django's auth_user so an existing
-- user table maps onto it with a view or a rename.
CREATE TABLE users (
  id            text PRIMARY KEY,
  username      text NOT NULL UNIQUE,
  email         text,
  first_name    text,
  last_name     text,
  is_staff      boolean NOT NULL DEFAULT false,
  is_active     boolean NOT NULL DEFAULT true,
  is_superuser  boolean NOT NULL DEFAULT false,
  last_login    timestamptz
);

CREATE TABLE sessions (
  id          text PRIMARY KEY,
  user_id     text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz,
  data        jsonb NOT NULL DEFAULT '{}'
);

-- Logout and "revoke all sessions of a user" look sessions up by owner.
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
