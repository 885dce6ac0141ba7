/**
 * The users and sessions both fuzzing layers create, and the world as the
 * oracle knows it (what was created, plus revocations seen during the run).
 */

export interface WorldUser {
  id: string;
  username: string;
  email: string | null;
  isStaff: boolean;
  isActive: boolean;
  isSuperuser: boolean;
}

export type SessionState = 'live' | 'revoked' | 'expired';

export interface WorldSession {
  id: string;
  userId: string;
  /** The state the test creates it in. */
  state: SessionState;
}

const user = (id: string, extra: Partial<WorldUser> = {}): WorldUser => ({
  id,
  username: `user-${id}`,
  email: `${id}@example.com`,
  isStaff: false,
  isActive: true,
  isSuperuser: false,
  ...extra,
});

/** The longest user id a token may carry (edge-auth refuses longer `sub`s as malformed). */
const MAX_ID = 'x'.repeat(256);

/**
 * Users: ordinary ones, one inactive, values that must be encoded (and two
 * that would collide under a lossy encoding), two whose identity is too long
 * to forward (`500 identity_unrepresentable` is expected exactly for their
 * live sessions), the longest id, and one without any session.
 */
export const WORLD_USERS: WorldUser[] = [
  user('alice', { isStaff: true }),
  user('bob', { email: null, isSuperuser: true }),
  user('carol', { isActive: false }),
  user('rémy 50%', { username: 'rémy 50% \u0007', email: 'a+b@example.com' }),
  user('r%C3%A9my 50%25', { username: 'r%C3%A9my 50%25 ', email: null }),
  user('long', { username: 'é'.repeat(400) }),
  user('longmail', { email: `${'m'.repeat(1020)}@x.io` }),
  user(MAX_ID),
  user('mallory'),
];

const LIVE_PER_USER = 30;
const SESSION_PREFIX: Record<string, string> = {
  alice: 's-alice-',
  bob: 's-bob-',
  'rémy 50%': 's-rémy-',
  'r%C3%A9my 50%25': 's/../%2e;',
  long: 's-long-',
  longmail: 's-longmail-',
  [MAX_ID]: `${'S'.repeat(250)}-`,
};

/** Live sessions for every user with a prefix, plus revoked, expired and inactive-user ones. */
export const WORLD_SESSIONS: WorldSession[] = [
  ...Object.entries(SESSION_PREFIX).flatMap(([userId, prefix]) =>
    Array.from({ length: LIVE_PER_USER }, (_, i) => ({
      id: `${prefix}${i}`,
      userId,
      state: 'live' as const,
    })),
  ),
  { id: 's-alice-revoked', userId: 'alice', state: 'revoked' },
  { id: 's-alice-expired', userId: 'alice', state: 'expired' },
  { id: 's-bob-revoked', userId: 'bob', state: 'revoked' },
  { id: 's-carol-0', userId: 'carol', state: 'live' },
];

/** Session ids no session has. */
export const UNKNOWN_SIDS = ['s-ghost', 's-alice-6', 's-alice-', 'S-ALICE-0', 's-alice-0 ', ' s-alice-0'];

/** An `exp` far in the future (2100-01-01), so generated cases stay reproducible for decades. */
export const FAR_FUTURE = 4_102_444_800;
/** An `exp`/`nbf` in the past (2001-09-09). */
export const PAST = 1_000_000_000;

/**
 * The world as the oracle knows it: what the test created, plus revocations
 * observed during the run. A session revoked while Redis was down may stay
 * cached until its TTL (README, "Revocation"): it is then accepted either way.
 */
export class FuzzWorld {
  readonly users = new Map(WORLD_USERS.map((u) => [u.id, u]));
  readonly sessions = new Map(WORLD_SESSIONS.map((s) => [s.id, s]));
  private readonly revoked = new Map<string, 'revoked' | 'grace'>();

  /** Records that `sid` was revoked during the run (`duringRedisOutage`: its cache entry may live on). */
  markRevoked(sid: string, duringRedisOutage: boolean): void {
    if (this.revoked.has(sid)) return;
    this.revoked.set(sid, duringRedisOutage ? 'grace' : 'revoked');
  }

  /** Whether the session is one the test created live and has not seen revoked. */
  isLive(sid: string): boolean {
    return this.sessions.get(sid)?.state === 'live' && !this.revoked.has(sid);
  }

  /**
   * What `sub` + `sid` entitle to: `live` (must be accepted as this user),
   * `grace` (a documented stale window: accepted or refused), or `none`.
   */
  judge(sub: string, sid: string): { kind: 'none' } | { kind: 'live' | 'grace'; user: WorldUser } {
    const session = this.sessions.get(sid);
    const owner = session && this.users.get(session.userId);
    if (!session || !owner || session.userId !== sub || !owner.isActive || session.state !== 'live') {
      return { kind: 'none' };
    }
    const revoked = this.revoked.get(sid);
    if (revoked === 'revoked') return { kind: 'none' };
    return { kind: revoked === 'grace' ? 'grace' : 'live', user: owner };
  }
}
