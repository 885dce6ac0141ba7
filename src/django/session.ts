import { decodeDjangoPayload, type PayloadFailure } from './payload';
import { DEFAULT_MAX_LENGTH, type UnsignFailure, unsignDjangoValue } from './signing';

/** Django's session keys for the logged-in user (`django.contrib.auth`). */
export const SESSION_KEY = '_auth_user_id';
export const BACKEND_SESSION_KEY = '_auth_user_backend';
export const HASH_SESSION_KEY = '_auth_user_hash';

/** The logged-in user a verified session names; the auth hash is checked against the user's row later. */
export interface DjangoSessionUser {
  /** `_auth_user_id`: the user's primary key as text (`'42'`, or a UUID). */
  userId: string;
  /** `_auth_user_backend`, one of the allowed backends. */
  backend: string;
  /** `_auth_user_hash`, when the session has one. */
  authHash: string | undefined;
}

/**
 * `no-user`: a valid session without a logged-in user (a language, a cart);
 * `backend-not-allowed`: its backend is not in `AUTHENTICATION_BACKENDS`.
 * Django answers both with `AnonymousUser`.
 */
export type SessionFailure = PayloadFailure | 'no-user' | 'backend-not-allowed';

export type ReadSessionResult =
  | { ok: true; user: DjangoSessionUser; signatureKey: number; signedAt: number }
  | { ok: false; stage: 'signature'; reason: UnsignFailure }
  | { ok: false; stage: 'payload'; reason: SessionFailure };

export interface ReadSessionOptions {
  /** Signing keys for the backend's salt, `SECRET_KEY`'s first (`DJANGO_SESSION_KEYS` or `DJANGO_SIGNED_COOKIE_KEYS`). */
  keys: readonly CryptoKey[];
  /** Django's `AUTHENTICATION_BACKENDS`, dotted paths. */
  allowedBackends: readonly string[];
  /** `SESSION_COOKIE_AGE` for the `signed_cookies` backend; none for `django_session` data. */
  maxAgeSeconds?: number;
  /** Clock in ms since the epoch; default `Date.now`. */
  now?: () => number;
  /** Bound on the value's length and on the inflated data; default 1 MiB. */
  maxBytes?: number;
}

/**
 * Reads a Django session as `SessionStore.decode` (db, cached_db) or
 * `signed_cookies.SessionStore.load` and then `auth.get_user` do, up to the
 * user lookup: signature under the current or a fallback key, age (signed
 * cookies), JSON only, a user id, an allowed backend. The caller then loads
 * the user (`auth_user` by `userId`) and calls `checkDjangoUser`. For the
 * database backends, the row itself (`expire_date > now()`) is the store's
 * to check. Never throws: every refusal is a result with its stage.
 *
 * @example
 * const read = await readDjangoSession(row.session_data, { keys, allowedBackends: ['django.contrib.auth.backends.ModelBackend'] });
 * if (!read.ok) return unauthorized(read.reason);
 * const user = await users.byId(read.user.userId);
 */
export async function readDjangoSession(
  value: string,
  options: ReadSessionOptions,
): Promise<ReadSessionResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_LENGTH;
  const unsigned = await unsignDjangoValue(value, { ...options, maxLength: maxBytes });
  if (!unsigned.ok) return { ok: false, stage: 'signature', reason: unsigned.reason };
  const payload = await decodeDjangoPayload(unsigned.data, maxBytes);
  if (!payload.ok) return { ok: false, stage: 'payload', reason: payload.reason };
  const user = sessionUser(payload.data, options.allowedBackends);
  if (typeof user === 'string') return { ok: false, stage: 'payload', reason: user };
  return { ok: true, user, signatureKey: unsigned.keyIndex, signedAt: unsigned.signedAt };
}

/**
 * The user fields of a decoded session. Django's `login()` writes the id as
 * a string; an integer (hand-written session code) is read as the pk's
 * `to_python` reads it. Any other id, or none, means no user.
 */
function sessionUser(
  data: Record<string, unknown>,
  allowedBackends: readonly string[],
): DjangoSessionUser | 'no-user' | 'backend-not-allowed' {
  const rawId = data[SESSION_KEY];
  const userId = typeof rawId === 'number' && Number.isSafeInteger(rawId) ? String(rawId) : rawId;
  const backend = data[BACKEND_SESSION_KEY];
  if (typeof userId !== 'string' || userId === '' || backend === undefined) return 'no-user';
  if (typeof backend !== 'string' || !allowedBackends.includes(backend)) return 'backend-not-allowed';
  const authHash = data[HASH_SESSION_KEY];
  return {
    userId,
    backend,
    authHash: typeof authHash === 'string' && authHash !== '' ? authHash : undefined,
  };
}
