import {
  ASSERTION_TTL_DEFAULT_SECONDS,
  ASSERTION_TTL_MAX_SECONDS,
  ASSERTION_TTL_MIN_SECONDS,
  parseSigningKey,
  type SigningKeyJwk,
} from '../assertion/signer';
import type { Env } from '../env';
import type { KeySource } from './keys';

export interface AssertionKey {
  key: SigningKeyJwk;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

type Read = (name: keyof Env) => string | undefined;
type Integer = (name: keyof Env, fallback: number, min: number, max: number) => number;

/**
 * `ASSERTION_SIGNING_KEY` and its companions. The audience defaults to the
 * origin (`ORIGIN_URL`'s scheme, host and port), so an assertion minted for
 * one origin is useless at another. The key must not also be a token key:
 * an origin that trusts assertions would then take edge-auth's session
 * tokens for assertions, and edge-auth would take assertions for tokens.
 */
export function parseAssertionKey(
  read: Read,
  integer: Integer,
  origin: URL | undefined,
  tokenKeys: KeySource | undefined,
  problems: string[],
): AssertionKey | undefined {
  const text = read('ASSERTION_SIGNING_KEY');
  const ttlSeconds = integer(
    'ASSERTION_TTL_SECONDS',
    ASSERTION_TTL_DEFAULT_SECONDS,
    ASSERTION_TTL_MIN_SECONDS,
    ASSERTION_TTL_MAX_SECONDS,
  );
  if (text === undefined) return undefined;
  const parsed = parseSigningKey(text);
  if ('problem' in parsed) {
    problems.push(parsed.problem);
    return undefined;
  }
  if (tokenKeys?.kind === 'jwks' && tokenKeys.jwks.keys.some((k) => sameKey(k, parsed.key))) {
    problems.push('ASSERTION_SIGNING_KEY must not be one of the JWT_PUBLIC_JWKS keys: use a key of its own');
  }
  const audience = read('ASSERTION_AUDIENCE') ?? origin?.origin;
  if (audience === undefined) {
    problems.push('ASSERTION_AUDIENCE is required with ASSERTION_SIGNING_KEY when ORIGIN_URL is not set');
    return undefined;
  }
  return { key: parsed.key, issuer: read('ASSERTION_ISSUER') ?? 'edge-auth', audience, ttlSeconds };
}

function sameKey(jwk: object, key: SigningKeyJwk): boolean {
  const { kty, x, y } = jwk as { kty?: unknown; x?: unknown; y?: unknown };
  return kty === 'EC' && x === key.x && y === key.y;
}
