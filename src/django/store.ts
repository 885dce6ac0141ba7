import type { NeonQueryFunction } from '@neondatabase/serverless';
import type { UsersTableConfig } from '../config/database';
import { isUserIdOf, profileOf, type UserColumns } from '../session/sql';
import type { SessionStore, StoredSession } from '../session/types';
import { checkDjangoUser } from './auth-hash';
import { type ReadSessionResult, readDjangoSession } from './session';
import { DJANGO_SESSION_TABLE, DJANGO_USERS_TABLE, djangoSql } from './sql';

type Sql = NeonQueryFunction<false, false>;

/** Options for `createDjangoSessionStore`. */
export interface DjangoSessionStoreOptions {
  sql: Sql;
  /** Bounds every query; a query that times out rejects (the caller answers 503). */
  timeoutMs: number;
  /** Django's `SESSION_ENGINE`: `db` (also `cached_db`: the row is the truth) or `signed_cookies`. */
  engine: 'db' | 'signed_cookies';
  /** The imported derived keys (`importDjangoKeys`), `SECRET_KEY`'s first in each list. */
  keys: () => Promise<DjangoKeys>;
  /** Django's `AUTHENTICATION_BACKENDS`. */
  allowedBackends: readonly string[];
  /** `SESSION_COOKIE_AGE`, seconds: the signed cookie's `max_age`. */
  cookieAgeSeconds: number;
  /** The non-reversible id a session key is known by in caches and headers (`djangoSessionId`). */
  sessionId: (sessionKey: string) => Promise<string>;
  users?: UsersTableConfig;
  sessionTable?: string;
  now?: () => number;
  log?: (message: string) => void;
}

/** Imported keys per purpose. */
export interface DjangoKeys {
  session: CryptoKey[];
  signedCookie: CryptoKey[];
  authHash: CryptoKey[];
}

interface UserRow extends UserColumns {
  password: string;
}

/**
 * `SessionStore` on Django's own tables: a session is found by Django's
 * session key (the `sessionid` cookie: a `django_session` row, or the signed
 * cookie itself) and judged as `django.contrib.auth.get_user` would — data
 * signed under the current or a fallback key, JSON only, an allowed backend,
 * an active user whose password still gives the session's auth hash. What
 * Django would treat as anonymous is an unknown session here (a 401); a
 * password change reads as a revocation. At most two statements, each by
 * primary key; the password hash never leaves this function.
 *
 * @example
 * const store = createDjangoSessionStore({ sql: neon(url), timeoutMs: 3000, engine: 'db', keys, allowedBackends, cookieAgeSeconds: 1209600, sessionId });
 */
export function createDjangoSessionStore(options: DjangoSessionStoreOptions): SessionStore {
  const { sql, engine, keys, allowedBackends, cookieAgeSeconds } = options;
  const users = options.users ?? DJANGO_USERS_TABLE;
  const statements = djangoSql(users, options.sessionTable ?? DJANGO_SESSION_TABLE);
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const opts = () => ({ fetchOptions: { signal: AbortSignal.timeout(options.timeoutMs) } });
  const isUserId = (id: string) => isUserIdOf(users.idType, id);

  /** The session's signed data and remaining life, or `null` when Django has none. */
  async function signedSession(
    key: string,
  ): Promise<{ read: ReadSessionResult; remainingMs: number } | null> {
    if (engine === 'signed_cookies') {
      const read = await readDjangoSession(key, {
        keys: (await keys()).signedCookie,
        allowedBackends,
        maxAgeSeconds: cookieAgeSeconds,
        now,
      });
      return { read, remainingMs: read.ok ? read.signedAt * 1000 + cookieAgeSeconds * 1000 - now() : 0 };
    }
    const rows = (await sql.query(statements.session, [key], opts())) as {
      session_data: string;
      remaining_ms: number;
    }[];
    const row = rows[0];
    if (!row) return null;
    const read = await readDjangoSession(row.session_data, { keys: (await keys()).session, allowedBackends });
    return { read, remainingMs: Number(row.remaining_ms) };
  }

  return {
    isUserId,

    async load(key): Promise<StoredSession | null> {
      const found = await signedSession(key);
      if (!found) return null;
      const { read } = found;
      if (!read.ok) {
        // Pickled data is Django's to migrate; a signature no key verifies may be a dropped fallback.
        if (read.reason === 'pickled' || read.stage === 'signature')
          log(`edge-auth: Django session refused (${read.stage}: ${read.reason})`);
        return null;
      }
      const userId = canonicalId(read.user.userId);
      if (userId === undefined || !isUserId(userId)) return null;
      const rows = (await sql.query(statements.user, [userId], opts())) as UserRow[];
      const row = rows[0];
      if (!row) return null;
      const checked = await checkDjangoUser(
        read.user,
        { password: row.password, isActive: row.is_active },
        (await keys()).authHash,
      );
      return {
        user: profileOf(row),
        // Django's session data stays Django's: only the non-reversible id is edge-auth's to share.
        session: { id: await options.sessionId(key), data: {} },
        remainingMs: found.remainingMs,
        // A changed password (or a hash from before Django 3.1) ends the session, as in Django.
        revoked: !checked.ok && checked.reason !== 'inactive',
      };
    },

    async touch(userId, intervalSeconds) {
      if (!isUserId(userId)) return false;
      const result = await sql.query(statements.touch, [userId, intervalSeconds], {
        ...opts(),
        fullResults: true,
      });
      return result.rowCount === 1;
    },

    async revoke(key) {
      // Django's logout deletes the row; a signed cookie has none: the edge's revoked entry is all there is.
      if (engine === 'signed_cookies') return (await this.load(key)) !== null;
      const result = await sql.query(statements.logout, [key], { ...opts(), fullResults: true });
      return result.rowCount === 1;
    },

    async ping() {
      await sql.query('SELECT 1', [], opts());
    },
  };
}

/** `_auth_user_id` as the integer column's text: Django's `to_python` reads `'01'` as 1. */
function canonicalId(id: string): string | undefined {
  if (!/^[+-]?\d{1,20}$/.test(id)) return id;
  const n = BigInt(id);
  return n === 0n ? '0' : n.toString();
}
