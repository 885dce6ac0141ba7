import { base64urlDecode, base64urlEncode, hmacSha256, importHmacKey, utf8 } from './encoding';

/** Proposed Worker secret for the id key: 32 or more random bytes, unpadded base64url. */
export const DJANGO_SESSION_ID_KEY_VARIABLE = 'DJANGO_SESSION_ID_KEY';

const MIN_KEY_BYTES = 32;
const ID_BYTES = 16;
// A label of its own, so this HMAC never equals one made with the same key for another purpose.
const LABEL = 'edge-auth django session id v1\n';

/**
 * Reads the id key's text: unpadded base64url of at least 32 bytes. The
 * problem names the variable, never the value.
 *
 * @example
 * const parsed = parseSessionIdKey(env.DJANGO_SESSION_ID_KEY);
 * if ('problem' in parsed) problems.push(parsed.problem); else idKey = await importSessionIdKey(parsed.key);
 */
export function parseSessionIdKey(
  text: string,
  name: string = DJANGO_SESSION_ID_KEY_VARIABLE,
): { key: Uint8Array } | { problem: string } {
  const key = base64urlDecode(text.trim());
  if (key === undefined || key.length < MIN_KEY_BYTES) {
    return { problem: `${name} must be at least ${MIN_KEY_BYTES} random bytes in unpadded base64url` };
  }
  return { key };
}

/**
 * Imports the id key for HMAC-SHA256, once per isolate.
 *
 * @example
 * const idKey = await importSessionIdKey(parsed.key);
 */
export function importSessionIdKey(raw: Uint8Array): Promise<CryptoKey> {
  return importHmacKey(raw);
}

/**
 * A stable, non-reversible id for a Django session key (or a whole
 * `signed_cookies` cookie, which is its session key): HMAC-SHA256 under a
 * Worker secret, cut to 128 bits, base64url (22 characters). The session key
 * is a bearer credential; this id is not: it names the session in Redis keys
 * (`<prefix>session:<id>`), in `X-Auth-Session-Id` and in logs, and without
 * the secret it can be neither reversed nor computed from a guessed key.
 *
 * @example
 * await djangoSessionId(idKey, request.cookies.sessionid) // 22 base64url characters
 */
export async function djangoSessionId(idKey: CryptoKey, sessionKey: string): Promise<string> {
  const mac = await hmacSha256(idKey, utf8(LABEL + sessionKey));
  return base64urlEncode(mac.subarray(0, ID_BYTES));
}
