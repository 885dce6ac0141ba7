import type { NeonQueryFunction } from '@neondatabase/serverless';
import type { UsersTableConfig } from '../config/database';
import { AuthError } from '../errors';
import type { Credential, SessionStore } from '../session/types';
import type { CredentialReader } from '../token/credential';
import { cookiePairs } from '../util/cookies';
import { createL1 } from '../util/l1';
import { importDjangoKeys } from './keys';
import { readDjangoSession } from './session';
import { djangoSessionId, importSessionIdKey } from './session-id';
import { createDjangoSessionStore, type DjangoKeys } from './store';

/** Django's defaults: `SESSION_COOKIE_NAME`, `SESSION_COOKIE_AGE`, `AUTHENTICATION_BACKENDS`. */
export const DJANGO_DEFAULTS = {
  cookie: 'sessionid',
  cookieAgeSeconds: 1_209_600,
  allowedBackends: ['django.contrib.auth.backends.ModelBackend'],
} as const;

export interface DjangoSessionsOptions {
  sql: NeonQueryFunction<false, false>;
  timeoutMs: number;
  /** `SESSION_ENGINE`: `db` (and `cached_db`) or `signed_cookies`. Default `db`. */
  engine?: 'db' | 'signed_cookies';
  /** Derived keys as `edge-auth django-keys` prints them (parsed with `parseDjangoKeyList`), current first. */
  keys: { session?: Uint8Array[]; signedCookie?: Uint8Array[]; authHash: Uint8Array[] };
  /** Key of the non-reversible session ids (`DJANGO_SESSION_ID_KEY`, ≥ 32 random bytes). */
  sessionIdKey: Uint8Array;
  /** `SESSION_COOKIE_NAME`. Default `sessionid`. */
  cookie?: string;
  /** `AUTHENTICATION_BACKENDS`. Default `ModelBackend`. */
  allowedBackends?: readonly string[];
  /** `SESSION_COOKIE_AGE`, seconds. Default two weeks. */
  cookieAgeSeconds?: number;
  /** Default `auth_user` with integer ids, touching `last_login`. */
  users?: UsersTableConfig;
  sessionTable?: string;
  /** How long an isolate remembers a verified cookie's id, ms (the L1 TTL). Default 2,000. */
  rememberMs?: number;
  now?: () => number;
  log?: (message: string) => void;
}

/** Django's sessions as the middleware's `credential` and `store` options. */
export interface DjangoSessions {
  credential: CredentialReader;
  store: SessionStore;
}

/** Longest cookie value read: a signed-cookie session holds the session's data. */
const MAX_COOKIE_BYTES = 8 * 1024;
/** A `django_session` key (`get_random_string(32, 'a-z0-9')`), or a signed cookie's characters. */
const DB_KEY = /^[a-z0-9]{8,40}$/;
const SIGNED_COOKIE = /^[A-Za-z0-9_.:-]+$/;

/**
 * Django's own sessions as edge-auth's credential and store: the
 * `sessionid` cookie is verified as Django would (see
 * `createDjangoSessionStore`) and is Django's — forwarded as sent, never
 * stripped. Caches and headers know a session only by a keyed,
 * non-reversible id of its key.
 *
 * @example
 * const django = djangoSessions({ sql: neon(url), timeoutMs: 3000, keys, sessionIdKey });
 * app.use('*', edgeAuth({ credential: django.credential, store: django.store, cache }));
 */
export function djangoSessions(options: DjangoSessionsOptions): DjangoSessions {
  const engine = options.engine ?? 'db';
  const cookie = options.cookie ?? DJANGO_DEFAULTS.cookie;
  const cookieAgeSeconds = options.cookieAgeSeconds ?? DJANGO_DEFAULTS.cookieAgeSeconds;
  const allowedBackends = options.allowedBackends ?? DJANGO_DEFAULTS.allowedBackends;
  const now = options.now ?? Date.now;
  // Imported once per isolate and held as values: a request never awaits another's import.
  let imported: (DjangoKeys & { id: CryptoKey }) | undefined;
  const keys = async () => {
    imported ??= {
      session: await importDjangoKeys(options.keys.session ?? []),
      signedCookie: await importDjangoKeys(options.keys.signedCookie ?? []),
      authHash: await importDjangoKeys(options.keys.authHash),
      id: await importSessionIdKey(options.sessionIdKey),
    };
    return imported;
  };
  const sessionId = async (key: string) => djangoSessionId((await keys()).id, key);
  const store = createDjangoSessionStore({
    ...options,
    engine,
    keys,
    allowedBackends,
    cookieAgeSeconds,
    sessionId,
    now,
  });
  const remembered = createL1<Credential>({ maxEntries: 1_000, ttlMs: options.rememberMs ?? 2_000, now });

  async function verify(value: string): Promise<Credential> {
    const known = remembered.get(value);
    if (known && known.exp > now() / 1000) return known;
    let credential: Credential;
    if (engine === 'db') {
      if (!DB_KEY.test(value)) throw new AuthError('invalid_token', 'malformed session cookie');
      credential = { sid: await sessionId(value), sub: undefined, exp: Number.POSITIVE_INFINITY, key: value };
    } else {
      if (!SIGNED_COOKIE.test(value)) throw new AuthError('invalid_token', 'malformed session cookie');
      const read = await readDjangoSession(value, {
        keys: (await keys()).signedCookie,
        allowedBackends,
        maxAgeSeconds: cookieAgeSeconds,
        now,
      });
      if (!read.ok) {
        if (read.reason === 'pickled') options.log?.('edge-auth: Django session refused (payload: pickled)');
        throw new AuthError(
          'invalid_token',
          read.reason === 'expired' ? 'session expired' : 'session cookie does not verify',
        );
      }
      credential = {
        sid: await sessionId(value),
        // The user the signed data names: its marker is read with the session, as with a JWT.
        sub: /^[+-]?\d+$/.test(read.user.userId) ? BigInt(read.user.userId).toString() : read.user.userId,
        exp: read.signedAt + cookieAgeSeconds,
        key: value,
      };
    }
    remembered.set(value, credential);
    return credential;
  }

  return {
    store,
    credential: {
      extract(headers) {
        const value = cookiePairs(headers.get('Cookie')).find((pair) => pair.name === cookie)?.value;
        if (value === undefined || value === '') return undefined;
        if (value.length > MAX_COOKIE_BYTES) throw new AuthError('invalid_token', 'session cookie too large');
        return value;
      },
      verify,
      ownedByEdgeAuth: false,
      cookie,
    },
  };
}
