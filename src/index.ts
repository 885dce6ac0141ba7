import type { Hono } from 'hono';
import { createApp } from './http/app';
import type { EdgeAuthEnv } from './http/middleware';

/**
 * The Worker entry: wiring only. Everything below the default export is the
 * package's public API, for use inside other Hono apps (`npm install edge-auth`).
 *
 * @example
 * import { edgeAuth } from 'edge-auth';
 * app.use('/api/*', edgeAuth());
 */
const app: Hono<EdgeAuthEnv> = createApp();

export default app;

export { type Config, type JsonWebKeyLike, type KeySource, parseConfig } from './config';
export type { Env } from './env';

export {
  AuthError,
  type AuthErrorCode,
  ConfigError,
  type Dependency,
  DependencyError,
  IdentityError,
  OriginError,
} from './errors';

export { createApp, sessionJson } from './http/app';
export { type EdgeAuthEnv, type EdgeAuthOptions, type EdgeAuthVariables, edgeAuth } from './http/middleware';

export { assembleServices, buildServices, type EdgeAuthServices, servicesFromEnv } from './services';

export {
  type Authenticator,
  type AuthenticatorOptions,
  type AuthResult,
  createAuthenticator,
  type Readiness,
  type Served,
  type TouchDecision,
} from './session/authenticator';
export {
  type IssuedSession,
  type IssueSessionOptions,
  issueSession,
  type SigningKey,
  type SqlRunner,
} from './session/issue';
export {
  createMemorySessionCache,
  type MemoryKey,
  type MemorySessionCacheOptions,
} from './session/memory-cache';
export {
  createMemorySessionStore,
  type MemorySession,
  type MemorySessionStoreOptions,
  type MemoryUser,
} from './session/memory-store';
export { createNeonSessionStore } from './session/neon-store';
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
export { createUpstashSessionCache, type UpstashSessionCacheOptions } from './session/upstash-cache';

export { type Claims, createTokenVerifier, type TokenVerifier } from './token/verifier';
