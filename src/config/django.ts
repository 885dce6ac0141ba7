import { DJANGO_KEY_VARIABLES, type DjangoKeyPurpose, parseDjangoKeyList } from '../django/keys';
import { parseSessionIdKey } from '../django/session-id';
import { isTableName } from './database';
import { TEXTS } from './defaults';
import type { Reader } from './reader';

/** Django session mode (`SESSION_MODE=django`): how Django's own sessions are verified. */
export interface DjangoConfig {
  engine: 'db' | 'signed_cookies';
  cookie: string;
  cookieAgeSeconds: number;
  allowedBackends: string[];
  sessionTable: string;
  keys: Record<DjangoKeyPurpose, Uint8Array[]>;
  sessionIdKey: Uint8Array;
}

const ENGINES: Record<string, DjangoConfig['engine']> = {
  db: 'db',
  cached_db: 'db',
  signed_cookies: 'signed_cookies',
  'django.contrib.sessions.backends.db': 'db',
  'django.contrib.sessions.backends.cached_db': 'db',
  'django.contrib.sessions.backends.signed_cookies': 'signed_cookies',
};

/**
 * The `DJANGO_*` bindings; `undefined` unless `SESSION_MODE=django`. The
 * Worker gets keys derived from `SECRET_KEY`, never the key itself.
 *
 * @example
 * parseDjango(createReader({ SESSION_MODE: 'django', DJANGO_SESSION_KEYS: '…', … }))?.engine // 'db'
 */
export function parseDjango(r: Reader): DjangoConfig | undefined {
  const mode = r.read('SESSION_MODE') ?? TEXTS.SESSION_MODE;
  if (mode !== 'jwt' && mode !== 'django') r.problems.push('SESSION_MODE must be "jwt" or "django"');
  if (mode !== 'django') return undefined;
  const engineName = r.read('DJANGO_SESSION_ENGINE') ?? TEXTS.DJANGO_SESSION_ENGINE;
  const engine = ENGINES[engineName];
  if (!engine) r.problems.push('DJANGO_SESSION_ENGINE must be "db", "cached_db" or "signed_cookies"');
  const keyList = (purpose: DjangoKeyPurpose, needed: boolean): Uint8Array[] => {
    const name = DJANGO_KEY_VARIABLES[purpose];
    const text = r.read(name);
    if (text === undefined) {
      if (needed)
        r.problems.push(`${name} is required with SESSION_MODE=django (npx edge-auth django-keys prints it)`);
      return [];
    }
    const parsed = parseDjangoKeyList(name, text);
    if ('problem' in parsed) r.problems.push(parsed.problem);
    return 'keys' in parsed ? parsed.keys : [];
  };
  const keys = {
    session: keyList('session', engine === 'db'),
    signedCookie: keyList('signedCookie', engine === 'signed_cookies'),
    authHash: keyList('authHash', true),
  };
  const idText = r.read('DJANGO_SESSION_ID_KEY');
  const id = idText === undefined ? undefined : parseSessionIdKey(idText);
  if (id === undefined) r.problems.push('DJANGO_SESSION_ID_KEY is required with SESSION_MODE=django');
  else if ('problem' in id) r.problems.push(id.problem);
  const sessionTable = r.read('DJANGO_SESSION_TABLE') ?? TEXTS.DJANGO_SESSION_TABLE;
  if (!isTableName(sessionTable))
    r.problems.push('DJANGO_SESSION_TABLE must be a table name, optionally schema.table');
  const cookie = r.read('DJANGO_SESSION_COOKIE') ?? TEXTS.DJANGO_SESSION_COOKIE;
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(cookie))
    r.problems.push('DJANGO_SESSION_COOKIE must be a valid cookie name');
  return {
    engine: engine ?? 'db',
    cookie,
    cookieAgeSeconds: r.number('DJANGO_SESSION_COOKIE_AGE'),
    allowedBackends:
      r.list('DJANGO_AUTHENTICATION_BACKENDS').length > 0
        ? r.list('DJANGO_AUTHENTICATION_BACKENDS')
        : [TEXTS.DJANGO_AUTHENTICATION_BACKENDS],
    sessionTable,
    keys,
    sessionIdKey: id && 'key' in id ? id.key : new Uint8Array(),
  };
}
