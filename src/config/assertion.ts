import { parseSigningKey, type SigningKeyJwk } from '../assertion/key';
import { TEXTS } from './defaults';
import type { KeySource } from './keys';
import type { Reader } from './reader';

export interface AssertionKey {
  key: SigningKeyJwk;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/**
 * `ASSERTION_SIGNING_KEY` and its companions. The audience defaults to the
 * origin (`ORIGIN_URL`'s scheme, host and port), so an assertion minted for
 * one origin is useless at another. The key must not also be a token key:
 * an origin that trusts assertions would then take edge-auth's session
 * tokens for assertions, and edge-auth would take assertions for tokens.
 */
export function parseAssertionKey(
  r: Reader,
  origin: URL | undefined,
  tokenKeys: KeySource | undefined,
): AssertionKey | undefined {
  const text = r.read('ASSERTION_SIGNING_KEY');
  const ttlSeconds = r.number('ASSERTION_TTL_SECONDS');
  if (text === undefined) return undefined;
  const parsed = parseSigningKey(text);
  if ('problem' in parsed) {
    r.problems.push(parsed.problem);
    return undefined;
  }
  if (tokenKeys?.kind === 'jwks' && tokenKeys.jwks.keys.some((k) => sameKey(k, parsed.key))) {
    r.problems.push(
      'ASSERTION_SIGNING_KEY must not be one of the JWT_PUBLIC_JWKS keys: use a key of its own',
    );
  }
  const audience = r.read('ASSERTION_AUDIENCE') ?? origin?.origin;
  if (audience === undefined) {
    r.problems.push('ASSERTION_AUDIENCE is required with ASSERTION_SIGNING_KEY when ORIGIN_URL is not set');
    return undefined;
  }
  return {
    key: parsed.key,
    issuer: r.read('ASSERTION_ISSUER') ?? TEXTS.ASSERTION_ISSUER,
    audience,
    ttlSeconds,
  };
}

function sameKey(jwk: object, key: SigningKeyJwk): boolean {
  const { kty, x, y } = jwk as { kty?: unknown; x?: unknown; y?: unknown };
  return kty === 'EC' && x === key.x && y === key.y;
}
