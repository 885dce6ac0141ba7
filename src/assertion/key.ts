/** The variable that holds the key; every problem names it, never its value. */
export const SIGNING_KEY_VARIABLE = 'ASSERTION_SIGNING_KEY';

/** 32 bytes in unpadded base64url: each P-256 coordinate and the private scalar. */
const P256_MEMBER = /^[A-Za-z0-9_-]{43}$/;

/** A P-256 private key that passed `parseSigningKey`, reduced to the members signing needs. */
export interface SigningKeyJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  d: string;
  kid?: string;
}

export { AssertionKeyError } from '../errors';

/**
 * Checks that `text` is an EC P-256 private JWK, without touching crypto, so
 * configuration fails fast. Problems name the variable, never its value.
 *
 * @example
 * const parsed = parseSigningKey(env.ASSERTION_SIGNING_KEY);
 * if ('problem' in parsed) problems.push(parsed.problem); else signingKey = parsed.key;
 */
export function parseSigningKey(text: string): { key: SigningKeyJwk } | { problem: string } {
  const problem = (what: string) => ({ problem: `${SIGNING_KEY_VARIABLE} ${what}` });
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    return problem('must be JSON (an EC P-256 private JWK)');
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return problem('must be a JWK object');
  const { kty, crv, x, y, d, alg, use, kid } = jwk as Record<string, unknown>;
  if (kty !== 'EC' || crv !== 'P-256') return problem('must be an EC key on curve P-256');
  if (d === undefined) return problem('must be a private key (it has no "d")');
  const malformed = (['x', 'y', 'd'] as const).filter((m) => {
    const value = { x, y, d }[m];
    return typeof value !== 'string' || !P256_MEMBER.test(value);
  });
  if (malformed.length > 0) {
    return problem(`members ${malformed.map((m) => `"${m}"`).join(', ')} must be 43 base64url characters`);
  }
  if (alg !== undefined && alg !== 'ES256') return problem('"alg" must be "ES256" when present');
  if (use !== undefined && use !== 'sig') return problem('"use" must be "sig" when present');
  if (kid !== undefined && (typeof kid !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(kid))) {
    return problem('"kid" must be 1 to 128 printable ASCII characters when present');
  }
  // Only these members are kept, so a stray `key_ops` or `ext` cannot make the import fail later.
  const key: SigningKeyJwk = { kty, crv, x: x as string, y: y as string, d: d as string };
  return { key: kid === undefined ? key : { ...key, kid } };
}
