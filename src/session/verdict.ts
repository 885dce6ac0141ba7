import { AuthError } from '../errors';
import type { AuthSession, CacheEntry, Credential, DeadReason, StoredSession } from './types';

const DEAD_MESSAGES: Record<DeadReason | 'foreign', string> = {
  unknown: 'session not found',
  revoked: 'session revoked',
  expired: 'session expired',
  inactive: 'user inactive',
  foreign: 'session belongs to another user',
};

/**
 * What the database's answer means, as a cache entry. A live entry records
 * its real owner and its expiry on the Worker's clock (`at` plus the
 * remaining life the database measured).
 *
 * @example
 * toEntry(null, Date.now()) // { dead: 'unknown' }
 */
export function toEntry(stored: StoredSession | null, at: number): CacheEntry {
  if (!stored) return { dead: 'unknown' };
  if (stored.revoked) return { dead: 'revoked' };
  if (stored.remainingMs <= 0) return { dead: 'expired' };
  if (!stored.user.isActive) return { dead: 'inactive' };
  return {
    live: {
      user: stored.user,
      session: { ...stored.session, expiresAt: at + Math.floor(stored.remainingMs) },
    },
  };
}

/**
 * The session the token may use, or why not. Ownership and expiry are
 * checked on every request, whichever cache the entry came from.
 *
 * @example
 * const verdict = judge(entry, claims, Date.now());
 * if (verdict instanceof AuthError) throw verdict;
 */
export function judge(entry: CacheEntry, claims: Credential, at: number): AuthSession | AuthError {
  if ('dead' in entry) return new AuthError('invalid_token', DEAD_MESSAGES[entry.dead]);
  const { live } = entry;
  if (claims.sub !== undefined && live.user.id !== claims.sub) {
    return new AuthError('invalid_token', DEAD_MESSAGES.foreign);
  }
  if (live.session.expiresAt <= at) return new AuthError('invalid_token', DEAD_MESSAGES.expired);
  return live;
}
