import type { AuthSession, CacheEntry, DeadReason } from './types';

/**
 * The cached value of `<prefix>session:<sid>`: JSON whose first bytes are a
 * fixed header (`{"v":1,"owner":<uid>,"exp":<ms>,`), so the lookup script can
 * check owner and expiry with plain string functions (no cjson needed) before
 * it claims a touch marker.
 *
 * @example
 * encodeEntry({ live: session }) // '{"v":1,"owner":"u1","exp":1764237600000,"user":{…},"session":{…}}'
 */
export function encodeEntry(entry: CacheEntry): string {
  if ('dead' in entry) return JSON.stringify({ v: 1, dead: entry.dead });
  const { user, session } = entry.live;
  return `${liveHeader(user.id)}${session.expiresAt},"user":${JSON.stringify(user)},"session":${JSON.stringify(session)}}`;
}

/** The prefix every live entry owned by `userId` starts with; JSON.stringify makes it canonical. */
export function liveHeader(userId: string): string {
  return `{"v":1,"owner":${JSON.stringify(userId)},"exp":`;
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
