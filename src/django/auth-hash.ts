import { hex, hmacSha256, timingSafeEqual, utf8 } from './encoding';
import type { DjangoSessionUser } from './session';

/** The `auth_user` columns the check needs. */
export interface DjangoUserRow {
  /** `auth_user.password`: the stored hash (`pbkdf2_sha256$…`), never a password. */
  password: string;
  /** `auth_user.is_active`. */
  isActive: boolean;
}

/**
 * - `inactive`: `ModelBackend.get_user` returns no inactive user;
 * - `no-auth-hash`: the session has no `_auth_user_hash`;
 * - `auth-hash-mismatch`: the password changed since login (or the hash is another user's);
 * - `legacy-auth-hash`: a SHA-1 hash from before Django 3.1, which 3.2 alone accepts.
 */
export type UserFailure = 'inactive' | 'no-auth-hash' | 'auth-hash-mismatch' | 'legacy-auth-hash';

export type UserCheckResult =
  | {
      ok: true;
      /** Which auth-hash key matched: 0 is `SECRET_KEY`'s. Above 0, Django cycles the session key on the next request it serves. */
      authHashKey: number;
    }
  | { ok: false; stage: 'user'; reason: UserFailure };

const SHA1_HEX = /^[0-9a-f]{40}$/;

/**
 * The rest of `auth.get_user` once the user is loaded: the user must be
 * active (`ModelBackend`), and the session's `_auth_user_hash` must equal
 * `get_session_auth_hash()`, HMAC-SHA256 of `auth_user.password` in hex,
 * under `SECRET_KEY`'s auth-hash key or (Django ≥ 4.1.8) a fallback's,
 * compared in constant time. So a password change logs every other session
 * out, as in Django.
 *
 * @example
 * const checked = await checkDjangoUser(read.user, { password: row.password, isActive: row.is_active }, authHashKeys);
 * if (!checked.ok) return unauthorized(checked.reason);
 */
export async function checkDjangoUser(
  session: DjangoSessionUser,
  user: DjangoUserRow,
  authHashKeys: readonly CryptoKey[],
): Promise<UserCheckResult> {
  if (user.isActive !== true) return { ok: false, stage: 'user', reason: 'inactive' };
  const claimed = session.authHash;
  if (claimed === undefined) return { ok: false, stage: 'user', reason: 'no-auth-hash' };
  const authHashKey = await matchAuthHash(claimed, user.password, authHashKeys);
  if (authHashKey !== -1) return { ok: true, authHashKey };
  return {
    ok: false,
    stage: 'user',
    reason: SHA1_HEX.test(claimed) ? 'legacy-auth-hash' : 'auth-hash-mismatch',
  };
}

/**
 * The index of the first key under which `hash` is the session auth hash of
 * `password`, or -1.
 *
 * @example
 * await matchAuthHash(session.authHash, row.password, authHashKeys) // 0
 */
export async function matchAuthHash(
  hash: string,
  password: string,
  authHashKeys: readonly CryptoKey[],
): Promise<number> {
  const message = utf8(password);
  for (const [index, key] of authHashKeys.entries()) {
    if (timingSafeEqual(hex(await hmacSha256(key, message)), hash)) return index;
  }
  return -1;
}
