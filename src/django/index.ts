/**
 * Django session mode's core: verifies Django's own session (the
 * `sessionid` cookie, a `django_session` row or a `signed_cookies` cookie)
 * as Django does, with keys derived from `SECRET_KEY`, on Web Crypto alone.
 */
export {
  checkDjangoUser,
  type DjangoUserRow,
  matchAuthHash,
  type UserCheckResult,
  type UserFailure,
} from './auth-hash';
export {
  DJANGO_KEY_SALTS,
  DJANGO_KEY_VARIABLES,
  type DjangoDerivedKeys,
  type DjangoKeyPurpose,
  deriveDjangoKeys,
  formatDjangoKeys,
  importDjangoKeys,
  MAX_DJANGO_KEYS,
  parseDjangoKeyList,
} from './keys';
export { decodeDjangoPayload, type PayloadFailure, type PayloadResult } from './payload';
export {
  BACKEND_SESSION_KEY,
  type DjangoSessionUser,
  HASH_SESSION_KEY,
  type ReadSessionOptions,
  type ReadSessionResult,
  readDjangoSession,
  SESSION_KEY,
  type SessionFailure,
} from './session';
export {
  DJANGO_SESSION_ID_KEY_VARIABLE,
  djangoSessionId,
  importSessionIdKey,
  parseSessionIdKey,
} from './session-id';
export {
  DJANGO_SESSION_SALT,
  DJANGO_SIGNED_COOKIE_SALT,
  type UnsignFailure,
  type UnsignOptions,
  type UnsignResult,
  unsignDjangoValue,
} from './signing';
