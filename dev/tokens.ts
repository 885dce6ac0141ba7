import { SignJWT } from 'jose';

export interface MintOptions {
  secret: string;
  userId: string;
  sessionId: string;
  /** Lifetime in seconds; default one hour. */
  ttlSeconds?: number;
  algorithm?: 'HS256' | 'HS384' | 'HS512';
  issuer?: string;
  audience?: string;
}

/**
 * Mints an HMAC session token the way an origin's login view would.
 *
 * @example
 * const jwt = await mintToken({ secret, userId: 'u1', sessionId: 's1' });
 */
export async function mintToken(options: MintOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT({ sid: options.sessionId })
    .setProtectedHeader({ alg: options.algorithm ?? 'HS256', typ: 'JWT' })
    .setSubject(options.userId)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.ttlSeconds ?? 3600));
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}
