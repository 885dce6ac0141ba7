import { base64urlDecode, base64urlEncode, importHmacKey, utf8 } from './encoding';
import { DJANGO_SESSION_SALT, DJANGO_SIGNED_COOKIE_SALT } from './signing';

/**
 * The Worker never holds `SECRET_KEY`, only keys derived from it, one per
 * purpose, exactly the HMAC keys Django computes (`salted_hmac`:
 * `SHA-256(key_salt + secret)`):
 *
 * | variable | key_salt | verifies |
 * | --- | --- | --- |
 * | `DJANGO_SESSION_KEYS` | `django.contrib.sessions.SessionStore` + `signer` | `django_session.session_data` (db, cached_db) |
 * | `DJANGO_SIGNED_COOKIE_KEYS` | `django.contrib.sessions.backends.signed_cookies` + `signer` | the `signed_cookies` cookie |
 * | `DJANGO_AUTH_HASH_KEYS` | `django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash` | `_auth_user_hash` |
 *
 * Each holds unpadded base64url keys of 32 bytes separated by commas,
 * `SECRET_KEY`'s first, then one per `SECRET_KEY_FALLBACKS` entry in order.
 *
 * A stolen derived key does one job and reveals neither `SECRET_KEY` nor
 * another key (SHA-256 is one way): it cannot sign password-reset links,
 * `get_signed_cookie` values or anything else Django signs under other
 * salts. A signed-cookie key forges cookies (a login also needs the user's
 * auth hash: the auth-hash key and `auth_user.password`); a session key is
 * of use only with write access to `django_session`. Details:
 * test/fixtures/django-sessions/README.md. Rotating `SECRET_KEY` retires them.
 */
export const DJANGO_KEY_VARIABLES = {
  session: 'DJANGO_SESSION_KEYS',
  signedCookie: 'DJANGO_SIGNED_COOKIE_KEYS',
  authHash: 'DJANGO_AUTH_HASH_KEYS',
} as const;

export type DjangoKeyPurpose = keyof typeof DJANGO_KEY_VARIABLES;

/** Each purpose's `salted_hmac` key salt. */
export const DJANGO_KEY_SALTS: Record<DjangoKeyPurpose, string> = {
  session: `${DJANGO_SESSION_SALT}signer`,
  signedCookie: `${DJANGO_SIGNED_COOKIE_SALT}signer`,
  authHash: 'django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash',
};

/** Raw derived keys per purpose, `SECRET_KEY`'s first. */
export type DjangoDerivedKeys = Record<DjangoKeyPurpose, Uint8Array[]>;

const KEY_BYTES = 32;
/** More keys than this is a misconfiguration, and each costs an HMAC on every refused request. */
export const MAX_DJANGO_KEYS = 8;

/**
 * Derives every key the Worker needs from `SECRET_KEY` and
 * `SECRET_KEY_FALLBACKS` (a `str` is encoded as UTF-8, as Django's
 * `force_bytes` does; bytes are taken as they are). Django 3.2 and 4.0
 * have no fallbacks: pass none. Django 4.1.0–4.1.7 accept fallbacks for
 * signatures but not for auth hashes (#34384): keep only the first auth-hash
 * key there. Runs in Node and in Workers.
 *
 * @example
 * const keys = await deriveDjangoKeys(process.env.SECRET_KEY!, []);
 * process.stdout.write(formatDjangoKeys(keys));
 */
export async function deriveDjangoKeys(
  secretKey: string | Uint8Array,
  fallbacks: readonly (string | Uint8Array)[] = [],
): Promise<DjangoDerivedKeys> {
  const secrets = [secretKey, ...fallbacks].map((s) => (typeof s === 'string' ? utf8(s) : s));
  if (secrets.some((s) => s.length === 0))
    throw new RangeError('SECRET_KEY and its fallbacks must not be empty');
  if (secrets.length > MAX_DJANGO_KEYS) {
    throw new RangeError(`at most ${MAX_DJANGO_KEYS - 1} SECRET_KEY_FALLBACKS are supported`);
  }
  const derive = (purpose: DjangoKeyPurpose) =>
    Promise.all(secrets.map((secret) => sha256(concat(utf8(DJANGO_KEY_SALTS[purpose]), secret))));
  const [session, signedCookie, authHash] = await Promise.all([
    derive('session'),
    derive('signedCookie'),
    derive('authHash'),
  ]);
  return { session, signedCookie, authHash };
}

/**
 * The derived keys as `NAME=value` lines (dotenv, what `wrangler secret
 * bulk` reads), the same text as the `manage.py shell` snippet in
 * test/fixtures/django-sessions/README.md prints.
 *
 * @example
 * formatDjangoKeys(keys) // 'DJANGO_SESSION_KEYS=cJuH…,z62z…\nDJANGO_SIGNED_COOKIE_KEYS=…\nDJANGO_AUTH_HASH_KEYS=…\n'
 */
export function formatDjangoKeys(keys: DjangoDerivedKeys): string {
  return (Object.keys(DJANGO_KEY_VARIABLES) as DjangoKeyPurpose[])
    .map((purpose) => `${DJANGO_KEY_VARIABLES[purpose]}=${keys[purpose].map(base64urlEncode).join(',')}\n`)
    .join('');
}

/**
 * Reads one key variable: 1 to 8 comma-separated 32-byte base64url keys.
 * Problems name the variable and the key's position, never a key.
 *
 * @example
 * const parsed = parseDjangoKeyList('DJANGO_AUTH_HASH_KEYS', env.DJANGO_AUTH_HASH_KEYS);
 * if ('problem' in parsed) problems.push(parsed.problem); else authHashKeys = await importDjangoKeys(parsed.keys);
 */
export function parseDjangoKeyList(name: string, text: string): { keys: Uint8Array[] } | { problem: string } {
  const items = text.split(',').map((item) => item.trim());
  if (items.length > MAX_DJANGO_KEYS) return { problem: `${name} holds more than ${MAX_DJANGO_KEYS} keys` };
  const keys: Uint8Array[] = [];
  for (const [index, item] of items.entries()) {
    const key = base64urlDecode(item);
    // Re-encoding catches the variants a decoder forgives (stray low bits in the last character).
    if (key?.length !== KEY_BYTES || base64urlEncode(key) !== item) {
      return {
        problem: `${name}: key ${index + 1} must be 43 base64url characters (32 bytes), as django-keys prints`,
      };
    }
    keys.push(key);
  }
  return { keys };
}

/**
 * Imports parsed keys for HMAC-SHA256, once per isolate.
 *
 * @example
 * const sessionKeys = await importDjangoKeys(parsed.keys);
 */
export function importDjangoKeys(keys: readonly Uint8Array[]): Promise<CryptoKey[]> {
  return Promise.all(keys.map(importHmacKey));
}

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
