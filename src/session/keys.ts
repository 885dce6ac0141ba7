/**
 * The Redis key scheme, written once: `<prefix>session:<sid>` holds the cached
 * session entry, `<prefix>touch:<uid>` the user's touch marker.
 *
 * @example
 * const keys = cacheKeys('edge-auth:');
 * keys.session('s1') // 'edge-auth:session:s1'
 */
export function cacheKeys(prefix: string) {
  return {
    session: (sid: string) => `${prefix}session:${sid}`,
    touch: (userId: string) => `${prefix}touch:${userId}`,
  };
}
