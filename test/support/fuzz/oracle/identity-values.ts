import type { WorldUser } from '../world';

/** README "Identity headers": the exact values edge-auth must send for a user and session. */

const IDENTITY_KEEP = /^[A-Za-z0-9\-_.!~*'()@]$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * README "Identity headers": every UTF-8 byte outside the set percent-encoded; over 1024 bytes refused.
 *
 * @example
 * encodeIdentityValue('rémy 50%') // 'r%C3%A9my%2050%25'
 */
export function encodeIdentityValue(raw: string): string | undefined {
  if (LONE_SURROGATE.test(raw)) return undefined;
  let out = '';
  for (const byte of Buffer.from(raw, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out +=
      byte < 0x80 && IDENTITY_KEEP.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out.length > 1024 ? undefined : out;
}

/**
 * The six identity headers edge-auth must send for this user and session; `undefined` if unrepresentable.
 *
 * @example
 * expectedIdentity(WORLD_USERS[0], 's-alice-0')?.get('x-auth-user-id') // 'alice'
 */
export function expectedIdentity(u: WorldUser, sid: string): Map<string, string> | undefined {
  const pairs: [string, string | null][] = [
    ['x-auth-user-id', u.id],
    ['x-auth-session-id', sid],
    ['x-auth-username', u.username],
    ['x-auth-email', u.email],
    ['x-auth-is-staff', String(u.isStaff)],
    ['x-auth-is-superuser', String(u.isSuperuser)],
  ];
  const out = new Map<string, string>();
  for (const [name, raw] of pairs) {
    if (raw === null) continue;
    const value = encodeIdentityValue(raw);
    if (value === undefined) return undefined;
    out.set(name, value);
  }
  return out;
}
