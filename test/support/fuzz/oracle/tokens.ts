import { createHmac } from 'node:crypto';

/**
 * Which token a request really carries, judged independently of edge-auth
 * (node:crypto, not jose) and generously, so the identity forwarded can be
 * held against every token a request could be read as.
 */

/** Leeway beyond edge-auth's 5 s clock tolerance, so no case depends on timing. */
const ORACLE_LEEWAY_SECONDS = 65;

function lenientBase64(segment: string): Buffer | undefined {
  const bare = segment.replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/_-]*$/.test(bare)) return undefined;
  return Buffer.from(bare.replaceAll('+', '-').replaceAll('/', '_'), 'base64url');
}

function jsonObject(bytes: Buffer | undefined): Record<string, unknown> | undefined {
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `sub` + `sid` a token really authenticates, judged independently of
 * edge-auth and generously (any base64 alphabet or padding): three segments,
 * an HMAC-SHA-256 under the secret over the first two, `alg: HS256`, string
 * `sub` and `sid`, a numeric `exp` not past, and no numeric `nbf` in the future.
 *
 * @example
 * authenticClaims(validToken(secret, 'alice', 's-alice-0'), secret) // { sub: 'alice', sid: 's-alice-0' }
 */
export function authenticClaims(
  token: string,
  secret: string,
  expect: { issuer?: string; audience?: string[] } = {},
): { sub: string; sid: string } | undefined {
  const segments = token.split('.');
  if (segments.length !== 3) return undefined;
  const [h = '', p = '', s = ''] = segments;
  const signature = lenientBase64(s);
  const mac = createHmac('sha256', secret).update(`${h}.${p}`).digest();
  if (!signature?.equals(mac)) return undefined;
  if (jsonObject(lenientBase64(h))?.alg !== 'HS256') return undefined;
  const claims = jsonObject(lenientBase64(p));
  if (!claims) return undefined;
  const { sub, sid, exp, nbf } = claims;
  const now = Date.now() / 1000;
  if (typeof sub !== 'string' || typeof sid !== 'string' || typeof exp !== 'number') return undefined;
  if (!(exp > now - ORACLE_LEEWAY_SECONDS)) return undefined;
  if (typeof nbf === 'number' && nbf > now + ORACLE_LEEWAY_SECONDS) return undefined;
  if (expect.issuer !== undefined && claims.iss !== expect.issuer) return undefined;
  const { audience } = expect;
  if (audience !== undefined) {
    const aud = claims.aud;
    const offered = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    if (!offered.some((a) => typeof a === 'string' && audience.includes(a))) return undefined;
  }
  return { sub, sid };
}

/**
 * Every string in the request that could be read as its token: each word of
 * `Authorization`, and each cookie value (raw, unquoted, percent-decoded),
 * whatever its name. Generous on purpose: the identity forwarded must be one
 * of these tokens' (invariant 2).
 *
 * @example
 * tokenCandidates(new Headers({ cookie: 'a="x%2Ey"' })) // ['"x%2Ey"', '"x.y"', 'x%2Ey', 'x.y']
 */
export function tokenCandidates(headers: Headers): string[] {
  const out = new Set<string>();
  for (const word of (headers.get('authorization') ?? '').split(/[\s,"]+/)) if (word) out.add(word);
  for (const part of (headers.get('cookie') ?? '').split(/[;,]/)) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const raw = part.slice(eq + 1).trim();
    for (const value of [raw, raw.replace(/^"|"$/g, '')]) {
      out.add(value);
      try {
        out.add(decodeURIComponent(value));
      } catch {
        // not decodable: the raw value is already a candidate
      }
    }
  }
  return [...out];
}
