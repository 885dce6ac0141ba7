import fc from 'fast-check';
import { validToken } from './jwt';
import type { Transport } from './text';
import { claimTokens } from './token-claims';
import { mutatedTokens } from './token-mutations';
import { FAR_FUTURE, PAST, UNKNOWN_SIDS, WORLD_SESSIONS, WORLD_USERS } from './world';

/** What tokens are made for. */
export interface TokenOptions {
  /** The HMAC secret the Worker verifies with. */
  secret: string;
  /** `JWT_ISSUER` / `JWT_AUDIENCE` when configured: valid tokens carry them, hostile ones get them wrong. */
  issuer?: string;
  audience?: string[];
}

/**
 * Tokens of the world's sessions, genuine (`worldToken`, `liveToken`) and
 * hostile (`token` mixes every kind). They embed far-future or fixed past
 * dates, never the clock, so a shrunk case replays identically later.
 *
 * @example
 * const { token, liveToken } = tokenArbitraries({ secret }, transport(false));
 */
export function tokenArbitraries(options: TokenOptions, t: Transport) {
  const { secret } = options;
  /** The claims a valid token needs beyond sub/sid/exp: the configured issuer and audience. */
  const required: [string, string][] = [
    ...(options.issuer ? [['iss', JSON.stringify(options.issuer)] as [string, string]] : []),
    ...(options.audience?.[0] ? [['aud', JSON.stringify(options.audience[0])] as [string, string]] : []),
  ];
  const liveSessions = WORLD_SESSIONS.filter((s) => s.state === 'live' && s.userId !== 'carol');
  const userIds = WORLD_USERS.map((u) => u.id);
  const sessionIds = WORLD_SESSIONS.map((s) => s.id);

  const overLong = new Set(['long', 'longmail']);
  const forwardable = liveSessions.filter((s) => !overLong.has(s.userId));
  /**
   * A live session, those whose identity cannot be forwarded (a 500 by design)
   * less often, and a few hot ones (the first two of each user) often, so a
   * session is soon used again after it was logged out, across cache expiries.
   */
  const livePair = fc
    .oneof(
      { weight: 3, arbitrary: fc.constantFrom(...forwardable.filter((s) => /[-;][01]$/.test(s.id))) },
      { weight: 5, arbitrary: fc.constantFrom(...forwardable) },
      { weight: 1, arbitrary: fc.constantFrom(...liveSessions.filter((s) => overLong.has(s.userId))) },
    )
    .map((s) => [s.userId, s.id] as const);
  /** A `sub` + `sid` pair: mostly a live session's, else any world pairing, a foreign or unknown one. */
  const pair = fc.oneof(
    { weight: 6, arbitrary: livePair },
    { weight: 2, arbitrary: fc.constantFrom(...WORLD_SESSIONS).map((s) => [s.userId, s.id] as const) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...userIds), fc.constantFrom(...sessionIds)) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...userIds), fc.constantFrom(...UNKNOWN_SIDS)) },
  );

  const claimsOf = (sub: string, sid: string): [string, string][] => [
    ['sub', JSON.stringify(sub)],
    ['sid', JSON.stringify(sid)],
    ['iat', String(PAST)],
    ['exp', String(FAR_FUTURE)],
    ...required,
  ];

  /** Genuine HS256 tokens of world pairings (valid tokens of real users among them). */
  const worldToken = pair.map(([sub, sid]) => validToken(secret, sub, sid, required));
  const liveToken = livePair.map(([sub, sid]) => validToken(secret, sub, sid, required));

  const { hostileClaimsToken, forgedHeaderToken } = claimTokens({ ...options, pair, claimsOf });
  const { mutatedToken, hugeToken, segmentsToken, garbageToken } = mutatedTokens({
    secret,
    liveToken,
    livePair,
    required,
    text: t.text,
  });
  const token = fc.oneof(
    { weight: 5, arbitrary: worldToken },
    { weight: 3, arbitrary: hostileClaimsToken },
    { weight: 3, arbitrary: mutatedToken },
    { weight: 3, arbitrary: forgedHeaderToken },
    { weight: 1, arbitrary: hugeToken },
    { weight: 1, arbitrary: segmentsToken },
    { weight: 1, arbitrary: garbageToken },
  );

  return { token, liveToken, worldToken };
}
