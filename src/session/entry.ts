import type { AuthSession, CacheEntry, DeadReason } from './types';

/**
 * The cached value of `<prefix>session:<sid>`: versioned JSON that records
 * the session's owner, so a token naming someone else's session is refused
 * from the cache without locking the owner out.
 *
 * @example
 * encodeEntry({ live: session }) // '{"v":1,"owner":"u1","exp":1764237600000,"user":{…},"session":{…}}'
 */
export function encodeEntry(entry: CacheEntry): string {
  if ('dead' in entry) return JSON.stringify({ v: 1, dead: entry.dead });
  const { user, session } = entry.live;
  return JSON.stringify({ v: 1, owner: user.id, exp: session.expiresAt, user, session });
}

const DEAD_REASONS: readonly DeadReason[] = ['unknown', 'revoked', 'expired', 'inactive'];

/** Parses a cached value; anything unrecognised reads as a miss (`null`). */
export function decodeEntry(raw: unknown): CacheEntry | null {
  if (typeof raw !== 'string') return null;
  let value: { v?: unknown; dead?: unknown; owner?: unknown; user?: AuthSession['user']; session?: unknown };
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (value?.v !== 1) return null;
  if (typeof value.dead === 'string') {
    return DEAD_REASONS.includes(value.dead as DeadReason) ? { dead: value.dead as DeadReason } : null;
  }
  const session = value.session as AuthSession['session'] | undefined;
  if (
    typeof value.owner !== 'string' ||
    !value.user ||
    value.user.id !== value.owner ||
    !session ||
    typeof session.id !== 'string' ||
    typeof session.expiresAt !== 'number'
  ) {
    return null;
  }
  return { live: { user: value.user, session } };
}
