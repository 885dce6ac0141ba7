import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DJANGO_SECRETS,
  type DjangoEcho,
  type DjangoOrigin,
  startDjangoOrigin,
} from './support/django-origin';
import { type ListeningWorker, startListeningWorker } from './support/listening-worker';
import { type Answer, send } from './support/proxies';
import { type Stack, startStack } from './support/stack';

/**
 * Client headers that CGI/WSGI servers and frameworks read as request metadata
 * (issue #13 items 1 and 2, spec R1/R2), against a real origin: the Django
 * project in test/fixtures/django-origin under the real gunicorn, behind the
 * bundled Worker in workerd listening on a TCP port, so every header name is
 * sent exactly as written. Header-level assertions on the echo origin and
 * edge-auth's own credential (R9) are in test/credentials.test.ts.
 */
const PUBLIC_PATHS = '/login,/static'; // examples/django/README.md

/** No token: a public prefix, and a header that makes gunicorn or the app route elsewhere. */
const ATTACKS: { path: string; headers: Record<string, string>; django: number }[] = [
  { path: '/login/account/', headers: { SCRIPT_NAME: '/login' }, django: 404 },
  { path: '/login/admin-data/', headers: { Script_Name: '/login' }, django: 404 },
  { path: '/static/account/', headers: { script_name: '/static' }, django: 404 },
  { path: '/login/', headers: { 'X-Original-URL': '/account/' }, django: 200 },
  { path: '/login/', headers: { 'X-Rewrite-URL': '/admin-data/' }, django: 200 },
  { path: '/login/', headers: { 'x-original-url': '/admin-data/?full=1' }, django: 200 },
];

/** Sent with every echo request below; none may reach Django. */
const SMUGGLED: Record<string, string> = {
  SCRIPT_NAME: '/login',
  PATH_INFO: '/account/',
  Remote_User: 'admin',
  'X-Original-URL': '/account/',
  'X-Rewrite-URL': '/admin-data/',
  X_Auth_User_Id: '1',
  X_Forwarded_For: '10.6.6.6',
  'X-Forwarded_Host': 'admin.internal',
};
/** The WSGI keys those would arrive under (gunicorn: upper case, `-` → `_`). */
const SMUGGLED_KEYS = [
  'HTTP_SCRIPT_NAME',
  'HTTP_PATH_INFO',
  'HTTP_REMOTE_USER',
  'HTTP_X_ORIGINAL_URL',
  'HTTP_X_REWRITE_URL',
];
const OVERRIDES: Record<string, string> = {
  'X-HTTP-Method-Override': 'DELETE',
  'X-HTTP-Method': 'DELETE',
  'X-Method-Override': 'DELETE',
};
const OVERRIDE_KEYS = ['HTTP_X_HTTP_METHOD_OVERRIDE', 'HTTP_X_HTTP_METHOD', 'HTTP_X_METHOD_OVERRIDE'];

const secretsIn = (body: string) => DJANGO_SECRETS.filter((s) => body.includes(s));

describe('CGI, rewrite and override headers in front of gunicorn + Django', () => {
  let stack: Stack;
  let django: DjangoOrigin;
  let worker: ListeningWorker;
  let allowing: ListeningWorker;
  let token: string;

  beforeAll(async () => {
    stack = await startStack();
    django = await startDjangoOrigin();
    const env = { ORIGIN_URL: django.url, PUBLIC_PATHS };
    worker = await startListeningWorker(stack, env);
    allowing = await startListeningWorker(stack, {
      ...env,
      // Reserved names stay reserved even when listed.
      ALLOW_HEADERS_WITH_UNDERSCORES: 'X_Custom_Trace, X_Auth_User_Id, x_forwarded_for, X_Real_IP',
    });
    await stack.user('u-cgi');
    token = await stack.session('s-cgi', 'u-cgi');
  }, 180_000); // apt-get installs Django and gunicorn first when they are missing
  afterAll(async () => {
    await Promise.allSettled([worker?.dispose(), allowing?.dispose(), django?.stop()]);
    await stack?.stop();
  });

  const echoOf = (res: Answer): DjangoEcho => {
    expect(res.status, res.body).toBe(200);
    return JSON.parse(res.body) as DjangoEcho;
  };

  it('the attack works against gunicorn directly: a public prefix reaches the private views', async () => {
    // What makes the tests below able to fail: this origin obeys every one of these headers.
    for (const { path, headers } of ATTACKS) {
      const res = await send(`${django.url}${path}`, { headers });
      expect(res.status, JSON.stringify(headers)).toBe(200);
      expect(secretsIn(res.body), JSON.stringify(headers)).toHaveLength(1);
    }
    const echo = echoOf(await send(`${django.url}/login/echo/`, { headers: { SCRIPT_NAME: '/login' } }));
    expect(echo).toMatchObject({ view: 'echo', script_name: '/login', path_info: '/echo/' });
    // A client `X_Auth_User_Id` is the same WSGI key as edge-auth's `X-Auth-User-Id`: gunicorn joins them.
    const joined = echoOf(
      await send(`${django.url}/echo/`, { headers: { X_Auth_User_Id: '1', 'X-Auth-User-Id': 'u-cgi' } }),
    );
    expect(joined.headers.HTTP_X_AUTH_USER_ID).toBe('1,u-cgi');
  });

  it('through edge-auth, no token: a public prefix never reaches a private view', async () => {
    for (const { path, headers, django: status } of ATTACKS) {
      const res = await send(`${worker.url}${path}`, { headers });
      // Forwarded as the public request it is, so Django answers the path itself.
      expect(res.status, JSON.stringify(headers)).toBe(status);
      expect(secretsIn(res.body), JSON.stringify(headers)).toEqual([]);
    }
  });

  it('none of them reaches Django on a public path, nor on an authenticated one', async () => {
    const headers = { ...SMUGGLED, ...OVERRIDES };
    const open = echoOf(await send(`${worker.url}/login/echo/`, { headers }));
    expect(open).toMatchObject({ view: 'login-echo', script_name: '', path_info: '/login/echo/' });
    expect(open.remote_user).toBeNull();
    for (const key of [...SMUGGLED_KEYS, ...OVERRIDE_KEYS, 'HTTP_X_AUTH_USER_ID']) {
      expect(open.headers[key], key).toBeUndefined();
    }
    expect(open.headers.HTTP_X_FORWARDED_FOR ?? '').not.toContain('10.6.6.6');
    expect(open.headers.HTTP_X_FORWARDED_HOST).toBe(worker.address);

    const authed = echoOf(
      await send(`${worker.url}/echo/`, { headers: { ...headers, Authorization: `Bearer ${token}` } }),
    );
    expect(authed).toMatchObject({ view: 'echo', method: 'GET', script_name: '', path_info: '/echo/' });
    expect(authed.remote_user).toBeNull();
    for (const key of SMUGGLED_KEYS) expect(authed.headers[key], key).toBeUndefined();
    expect(authed.headers.HTTP_X_AUTH_USER_ID).toBe('u-cgi');
    expect(authed.headers.HTTP_X_FORWARDED_FOR ?? '').not.toContain('10.6.6.6');
    expect(authed.headers.HTTP_X_FORWARDED_HOST).toBe(worker.address);
    // The user's own request keeps its method overrides: they may do what they like.
    for (const key of OVERRIDE_KEYS) expect(authed.headers[key], key).toBe('DELETE');
  });

  it('ALLOW_HEADERS_WITH_UNDERSCORES lets exactly the listed names through, never a reserved one', async () => {
    const headers = {
      ...SMUGGLED,
      X_CUSTOM_TRACE: 'trace-1',
      X_Other_Trace: 'not-listed',
      X_Real_IP: '10.6.6.6',
    };
    const open = echoOf(await send(`${allowing.url}/login/echo/`, { headers }));
    const authed = echoOf(
      await send(`${allowing.url}/echo/`, { headers: { ...headers, Authorization: `Bearer ${token}` } }),
    );
    for (const [echo, user] of [
      [open, undefined],
      [authed, 'u-cgi'],
    ] as const) {
      expect(echo.script_name).toBe('');
      expect(echo.headers.HTTP_X_CUSTOM_TRACE).toBe('trace-1');
      expect(echo.headers.HTTP_X_AUTH_USER_ID).toBe(user);
      for (const key of [...SMUGGLED_KEYS, 'HTTP_X_OTHER_TRACE', 'HTTP_X_REAL_IP']) {
        expect(echo.headers[key], key).toBeUndefined();
      }
      expect(echo.headers.HTTP_X_FORWARDED_FOR ?? '').not.toContain('10.6.6.6');
      expect(echo.headers.HTTP_X_FORWARDED_HOST).toBe(allowing.address);
    }
    // Listing it does not make a public prefix reach a private view either.
    const res = await send(`${allowing.url}/login/account/`, { headers: { SCRIPT_NAME: '/login' } });
    expect(res.status).toBe(404);
    expect(secretsIn(res.body)).toEqual([]);
  });
});
