import type { Reader } from './reader';
import { secureUrl } from './urls';

export type KeySource =
  | { kind: 'secret'; secret: string }
  | { kind: 'jwks'; jwks: { keys: JsonWebKeyLike[] } }
  | { kind: 'remote'; url: URL };

/** The subset of a JWK that validation needs; jose checks the rest. */
export interface JsonWebKeyLike {
  kty: string;
  alg?: string;
  crv?: string;
  kid?: string;
  use?: string;
}

/** RFC 7518 §3.2: an HMAC key must be at least as long as the hash output. */
export const HMAC_MIN_SECRET_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };
const HMAC_ALGORITHMS = Object.keys(HMAC_MIN_SECRET_BYTES);
const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const EC_ALGORITHMS: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };
export const ASYMMETRIC_ALGORITHMS = [...RSA_ALGORITHMS, ...Object.values(EC_ALGORITHMS), 'EdDSA', 'Ed25519'];

/** Exactly one of the three key sources, validated. */
export function parseKeySource(r: Reader): KeySource | undefined {
  const { problems } = r;
  const secret = r.read('JWT_SECRET');
  const jwksText = r.read('JWT_PUBLIC_JWKS');
  const jwksUrl = r.read('JWT_JWKS_URL');
  const given = [secret, jwksText, jwksUrl].filter((v) => v !== undefined).length;
  if (given !== 1) {
    problems.push(
      given === 0
        ? 'one of JWT_SECRET, JWT_PUBLIC_JWKS or JWT_JWKS_URL is required'
        : 'set only one of JWT_SECRET, JWT_PUBLIC_JWKS and JWT_JWKS_URL',
    );
    return undefined;
  }
  if (secret !== undefined) return { kind: 'secret', secret };
  if (jwksUrl !== undefined) {
    const url = secureUrl('JWT_JWKS_URL', jwksUrl, problems);
    return url ? { kind: 'remote', url } : undefined;
  }
  try {
    const jwks = JSON.parse(jwksText ?? '') as { keys?: unknown };
    const keys = Array.isArray(jwks.keys) ? (jwks.keys as JsonWebKeyLike[]) : [];
    const wellFormed = keys.length > 0 && keys.every((k) => k && typeof k.kty === 'string');
    if (wellFormed) return { kind: 'jwks', jwks: { keys } };
    problems.push('JWT_PUBLIC_JWKS must hold a non-empty "keys" array of JWKs');
  } catch {
    problems.push('JWT_PUBLIC_JWKS must be JSON (a JWK set)');
  }
  return undefined;
}

/**
 * The algorithm allowlist. Explicit lists must fit the key source. Without
 * one: `HS256` for a secret; for key sets, the asymmetric signature
 * algorithms the keys declare (by `alg`, else by `kty`/`crv`), and every
 * asymmetric one for a remote set (jose then only accepts an algorithm its
 * matching key supports). Never `none`, never HMAC with public keys: that
 * would let anyone sign with the public key as an HMAC secret.
 */
export function parseAlgorithms(raw: string | undefined, keys: KeySource | undefined, problems: string[]) {
  const list = raw
    ?.split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (list === undefined || list.length === 0) {
    if (keys?.kind === 'secret') return ['HS256'];
    if (keys?.kind === 'jwks') {
      const declared = [...new Set(keys.jwks.keys.flatMap(signatureAlgorithms))];
      if (declared.length === 0) problems.push('JWT_PUBLIC_JWKS holds no asymmetric signing key');
      return declared;
    }
    return ASYMMETRIC_ALGORITHMS;
  }
  const allowed = keys?.kind === 'secret' ? HMAC_ALGORITHMS : ASYMMETRIC_ALGORITHMS;
  if (list.some((a) => !allowed.includes(a))) {
    problems.push(
      `JWT_ALGORITHMS may only list ${keys?.kind === 'secret' ? 'HMAC' : 'asymmetric'} algorithms (${allowed.join(', ')})`,
    );
  }
  return list;
}

/** Refuses an HMAC secret shorter than the longest hash it may be used with. */
export function checkSecretStrength(
  keys: KeySource | undefined,
  algorithms: string[],
  problems: string[],
  name = 'JWT_SECRET',
) {
  if (keys?.kind !== 'secret') return;
  const needed = Math.max(0, ...algorithms.map((a) => HMAC_MIN_SECRET_BYTES[a] ?? 0));
  if (new TextEncoder().encode(keys.secret).length < needed) {
    problems.push(`${name} must be at least ${needed} bytes for ${algorithms.join(', ')} (RFC 7518 §3.2)`);
  }
}

function signatureAlgorithms(key: JsonWebKeyLike): string[] {
  if (!key || key.use === 'enc') return [];
  if (key.alg !== undefined) return ASYMMETRIC_ALGORITHMS.includes(key.alg) ? [key.alg] : [];
  if (key.kty === 'RSA') return RSA_ALGORITHMS;
  if (key.kty === 'EC') {
    const alg = EC_ALGORITHMS[key.crv ?? ''];
    return alg ? [alg] : [];
  }
  if (key.kty === 'OKP' && key.crv === 'Ed25519') return ['EdDSA', 'Ed25519'];
  return [];
}
