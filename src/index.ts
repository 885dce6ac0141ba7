/**
 * `edge-auth`: the vocabulary shared by every entry — errors with stable
 * codes, the session types and ports — and `issueSession` for the login
 * side. The middleware is `edge-auth/hono`, the adapters `edge-auth/upstash`,
 * `edge-auth/neon` and `edge-auth/memory`, the Worker `edge-auth/worker`.
 * Importing it runs nothing and pulls in no driver.
 *
 * @example
 * import { AuthError, type AuthSession, issueSession } from 'edge-auth';
 */
export {
  AssertionKeyError,
  AuthError,
  type AuthErrorCode,
  ConfigError,
  CrossSiteError,
  type Dependency,
  DependencyError,
  type EdgeAuthErrorCode,
  IdentityError,
  OriginError,
} from './errors';
export {
  type IssuedSession,
  type IssueSessionOptions,
  issueSession,
  type SigningKey,
  type SqlRunner,
} from './session/issue';
export type {
  AuthSession,
  CacheEntry,
  CacheRead,
  DeadReason,
  SessionCache,
  SessionInfo,
  SessionStore,
  StoredSession,
  UserProfile,
} from './session/types';
export type { Claims } from './token/verifier';
