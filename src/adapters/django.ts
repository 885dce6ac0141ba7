/**
 * `edge-auth/django`: Django's own sessions as edge-auth's credential and
 * store — the `sessionid` cookie verified at the edge as Django would, with
 * keys derived from `SECRET_KEY` (never the key itself). Pass it a `neon()`
 * query function; no driver is bundled from here.
 *
 * @example
 * import { djangoSessions, parseDjangoKeyList } from 'edge-auth/django';
 * const django = djangoSessions({ sql: neon(env.DATABASE_URL), timeoutMs: 3000, keys, sessionIdKey });
 * app.use('*', edgeAuth({ credential: django.credential, store: django.store, cache }));
 */
export {
  DJANGO_KEY_VARIABLES,
  type DjangoDerivedKeys,
  deriveDjangoKeys,
  formatDjangoKeys,
  parseDjangoKeyList,
} from '../django/keys';
export {
  DJANGO_DEFAULTS,
  type DjangoSessions,
  type DjangoSessionsOptions,
  djangoSessions,
} from '../django/mode';
export { parseSessionIdKey } from '../django/session-id';
export type { CredentialReader } from '../token/credential';
