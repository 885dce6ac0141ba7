import { base64Decode, base64urlEncode, hmacSha256, latin1, timingSafeEqual, utf8 } from './encoding';

/** The `signing.loads` salt of `django_session` data (db and cached_db `SessionStore`). */
export const DJANGO_SESSION_SALT = 'django.contrib.sessions.SessionStore';
/** The `signing.loads` salt of the `signed_cookies` backend's cookie. */
export const DJANGO_SIGNED_COOKIE_SALT = 'django.contrib.sessions.backends.signed_cookies';

/**
 * Why a signed value was refused:
 * - `malformed`: not `data:timestamp:signature`;
 * - `bad-signature`: no key gives that signature;
 * - `legacy-format`: Django 3.2's pre-3.1 `session_data` encoding (`base64(sha1hex:data)`,
 *   written under `DEFAULT_HASHING_ALGORITHM = 'sha1'`), which 3.2 alone still reads;
 * - `legacy-signature`: a SHA-1-sized signature (Django 3.1/3.2 under that setting);
 * - `expired`: signed more than `maxAgeSeconds` ago.
 */
export type UnsignFailure = 'malformed' | 'bad-signature' | 'legacy-format' | 'legacy-signature' | 'expired';

export type UnsignResult =
  | {
      ok: true;
      /** The signed data: base64url, with a leading `.` when zlib-compressed. */
      data: string;
      /** When Django signed it, in Unix seconds. */
      signedAt: number;
      /** Which key verified it: 0 is `SECRET_KEY`'s, 1 the first fallback's… */
      keyIndex: number;
    }
  | { ok: false; reason: UnsignFailure };

export interface UnsignOptions {
  /** The derived signing keys for one salt (see `importDjangoKeys`), `SECRET_KEY`'s first. */
  keys: readonly CryptoKey[];
  /** `max_age`: `SESSION_COOKIE_AGE` for signed cookies; none for `django_session` data. */
  maxAgeSeconds?: number;
  /** Clock in ms since the epoch; default `Date.now`. */
  now?: () => number;
  /** Longer values are refused unread; default 1 MiB. */
  maxLength?: number;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SHA1_SIGNATURE = /^[A-Za-z0-9_-]{27}$/;
const LEGACY_SESSION_DATA = /^[0-9a-f]{40}:/;
/** Longer values, and data that inflates further, are refused: Django's own stay far below. */
export const DEFAULT_MAX_LENGTH = 1 << 20;

/**
 * Checks a value Django's `signing.dumps` made (`TimestampSigner`, separator
 * `:`), exactly as `signing.loads(value, salt=…, max_age=…)` does: the
 * signature is HMAC-SHA256 of `data:timestamp` under each key in turn
 * (Django ≥ 4.1 tries `SECRET_KEY` then `SECRET_KEY_FALLBACKS`; 3.2 has only
 * the first), compared in constant time as base64url text; then the base62
 * timestamp, and its age against `maxAgeSeconds` (`age > max_age` fails, as
 * in Django). Nothing of the data is decoded before the signature holds.
 * Bad input is a typed refusal, never an exception.
 *
 * @example
 * const out = await unsignDjangoValue(cookie, { keys, maxAgeSeconds: 1209600 });
 * if (!out.ok) return refuse(out.reason);
 */
export async function unsignDjangoValue(value: string, options: UnsignOptions): Promise<UnsignResult> {
  if (typeof value !== 'string' || value.length > (options.maxLength ?? DEFAULT_MAX_LENGTH)) {
    return { ok: false, reason: 'malformed' };
  }
  const signatureAt = value.lastIndexOf(':');
  if (signatureAt === -1) {
    return { ok: false, reason: isLegacySessionData(value) ? 'legacy-format' : 'malformed' };
  }
  const signed = value.slice(0, signatureAt);
  const signature = value.slice(signatureAt + 1);
  const timestampAt = signed.lastIndexOf(':');
  const signedAt = timestampAt === -1 ? undefined : base62Decode(signed.slice(timestampAt + 1));
  if (signedAt === undefined) return { ok: false, reason: 'malformed' };

  const keyIndex = await findSigningKey(signed, signature, options.keys);
  if (keyIndex === -1) {
    return { ok: false, reason: SHA1_SIGNATURE.test(signature) ? 'legacy-signature' : 'bad-signature' };
  }
  if (options.maxAgeSeconds !== undefined) {
    const age = (options.now ?? Date.now)() / 1000 - signedAt;
    if (age > options.maxAgeSeconds) return { ok: false, reason: 'expired' };
  }
  return { ok: true, data: signed.slice(0, timestampAt), signedAt, keyIndex };
}

/** The index of the first key whose signature of `signed` is `signature`, or -1. */
async function findSigningKey(
  signed: string,
  signature: string,
  keys: readonly CryptoKey[],
): Promise<number> {
  const message = utf8(signed);
  for (const [index, key] of keys.entries()) {
    if (timingSafeEqual(base64urlEncode(await hmacSha256(key, message)), signature)) return index;
  }
  return -1;
}

/**
 * Django's `b62_decode` (3.2: `baseconv.base62.decode`): an optional `-`,
 * then base62 digits; `'-'` alone is 0, `''` an error. `undefined` for what
 * Django would fail on.
 *
 * @example
 * base62Decode('1QaUZC') // 1309014878
 */
export function base62Decode(text: string): number | undefined {
  if (text === '') return undefined;
  const negative = text.startsWith('-');
  let value = 0;
  for (const digit of negative ? text.slice(1) : text) {
    const index = BASE62.indexOf(digit);
    if (index === -1) return undefined;
    value = value * 62 + index;
  }
  return negative ? 0 - value : value;
}

/** Whether `value` is base64 of `<40 hex>:…`, Django 3.2's `_legacy_encode` (never read here). */
function isLegacySessionData(value: string): boolean {
  const head = base64Decode(value.slice(0, 56));
  return head !== undefined && LEGACY_SESSION_DATA.test(latin1(head));
}
