/**
 * The byte and text helpers Django's formats need, on Web APIs only (`atob`,
 * `btoa`, `TextEncoder`), so the same code runs in workerd and in Node.
 */

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Unpadded base64url, as Django's `b64_encode` writes it.
 *
 * @example
 * base64urlEncode(new Uint8Array([251, 255])) // '-_8'
 */
export function base64urlEncode(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Unpadded base64url to bytes; `undefined` for any other text (padding, the
 * standard alphabet, a length no encoder writes).
 *
 * @example
 * base64urlDecode('-_8') // Uint8Array [251, 255]
 * base64urlDecode('-_8=') // undefined
 */
export function base64urlDecode(text: string): Uint8Array | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  return binaryToBytes(atob(text.replace(/-/g, '+').replace(/_/g, '/')));
}

/**
 * Standard base64 (padding optional) to bytes, or `undefined`.
 *
 * @example
 * base64Decode('YWI=') // Uint8Array [97, 98]
 */
export function base64Decode(text: string): Uint8Array | undefined {
  try {
    return binaryToBytes(atob(text));
  } catch {
    return undefined;
  }
}

function binaryToBytes(binary: string): Uint8Array {
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Bytes read as ISO-8859-1, one character per byte, as Django's
 * `JSONSerializer.loads` decodes them (`TextDecoder('latin1')` would be
 * windows-1252, which differs at 0x80–0x9f).
 *
 * @example
 * latin1(new Uint8Array([0x7b, 0x7d])) // '{}'
 */
export function latin1(bytes: Uint8Array): string {
  let text = '';
  // In slices: String.fromCharCode takes its bytes as arguments, and arguments are limited.
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return text;
}

/**
 * Lowercase hex, as Python's `hexdigest()`.
 *
 * @example
 * hex(new Uint8Array([1, 171])) // '01ab'
 */
export function hex(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += byte.toString(16).padStart(2, '0');
  return text;
}

/**
 * UTF-8, as Django's `force_bytes` encodes a `str`.
 *
 * @example
 * utf8('twö') // Uint8Array [116, 119, 195, 182]
 */
export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/**
 * Compares two strings in time that depends on their length only, as
 * Django's `constant_time_compare` (`hmac.compare_digest`) does: the
 * position of the first difference must not leak through timing.
 *
 * @example
 * timingSafeEqual('abc', 'abc') // true
 */
export function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/**
 * HMAC-SHA256 of `message` under an imported key.
 *
 * @example
 * const mac = await hmacSha256(key, utf8('value:1abc'));
 */
export async function hmacSha256(key: CryptoKey, message: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, message));
}

/**
 * Imports raw bytes as an HMAC-SHA256 signing key.
 *
 * @example
 * const key = await importHmacKey(derived);
 */
export function importHmacKey(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}
