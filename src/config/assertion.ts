import { parseSigningKey, type SigningKeyJwk } from '../assertion/signer';
import type { Env } from '../env';

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
 * one origin is useless at another.
 */
export function parseAssertionKey(
  read: Read,
  integer: Integer,
  origin: URL | undefined,
  problems: string[],
): AssertionKey | undefined {
  const text = read('ASSERTION_SIGNING_KEY');
  const ttlSeconds = integer('ASSERTION_TTL_SECONDS', 60, 5, 3600);
  if (text === undefined) return undefined;
  const parsed = parseSigningKey(text);
  if ('problem' in parsed) {
    problems.push(parsed.problem);
    return undefined;
  }
  const audience = read('ASSERTION_AUDIENCE') ?? origin?.origin;
  if (audience === undefined) {
    problems.push('ASSERTION_AUDIENCE is required with ASSERTION_SIGNING_KEY when ORIGIN_URL is not set');
    return undefined;
  }
  return { key: parsed.key, issuer: read('ASSERTION_ISSUER') ?? 'edge-auth', audience, ttlSeconds };
}
