import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SeenRequest, startEchoOrigin } from '../dev/origin';
import { bearer, type Stack, startStack } from './support/stack';

/**
 * What the origin receives and what the client gets back, header by header
 * (issue #13 items 1, 2 and 9, spec R1, R2 and R9): the bundled Worker in
 * workerd in front of echo origins that record every header. The same rules
 * against a real gunicorn + Django are in test/cgi-headers.test.ts.
 */
const CLIENT_HEADERS: Record<string, string> = {
  SCRIPT_NAME: '/public',
  Path_Info: '/admin',
  REMOTE_USER: 'admin',
  X_Custom_Trace: 'trace-1',
  x_auth_user_id: 'admin',
  'X-Original-URL': '/admin',
  'X-Rewrite-URL': '/admin',
  'X-Request-Id': 'req-1',
  'Accept-Language': 'fr',
};
const OVERRIDES: Record<string, string> = {
  'X-HTTP-Method-Override': 'DELETE',
  'X-HTTP-Method': 'PUT',
  'X-Method-Override': 'PATCH',
};
const withUnderscore = (seen: SeenRequest) => Object.keys(seen.headers).filter((n) => n.includes('_'));
/** A `Cache-Control` value as a set of directives (their order carries no meaning). */
const directives = (value: string | null) =>
  (value ?? '')
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '')
    .sort();

describe('headers between the client and the origin', () => {
  let stack: Stack;
  let token: string;
  let origin: Awaited<ReturnType<typeof startEchoOrigin>>;
  const lastSeen = () => origin.seen.at(-1)!;
  const auth = () => ({ Authorization: `Bearer ${token}` });

  /** Answers with the `Cache-Control` named by the last path segment (`/x/public-60` …). */
  const CACHE_CONTROL: Record<string, string> = {
    'public-60': 'public, max-age=60',
    's-maxage': 's-maxage=300, max-age=60',
    'public-s-maxage': 'public, s-maxage=300',
    'no-store': 'no-store',
    'private-30': 'private, max-age=30',
  };

  beforeAll(async () => {
    stack = await startStack();
    origin = await startEchoOrigin({
      answerHeaders: ({ url }): Record<string, string> => {
        const cc = CACHE_CONTROL[url.split('/').at(-1) ?? ''];
        return cc ? { 'Cache-Control': cc } : {};
      },
    });
    await stack.user('u-fh');
    token = await stack.session('s-fh', 'u-fh');
  });
  afterAll(async () => {
    await origin?.close();
    await stack?.stop();
  });

  const workerOn = (env: Record<string, string> = {}) =>
    stack.worker({ ORIGIN_URL: origin.url, PUBLIC_PATHS: '/public', ...env });

  it('no name with "_", no path rewrite reaches the origin; method overrides only with a token', async () => {
    const worker = await workerOn();
    const headers = { ...CLIENT_HEADERS, ...OVERRIDES };
    expect((await worker.fetch('/public/page', { headers })).status).toBe(200);
    const open = lastSeen();
    expect(withUnderscore(open)).toEqual([]);
    for (const name of ['x-original-url', 'x-rewrite-url', 'x-http-method-override', 'x-http-method']) {
      expect(open.headers[name], name).toBeUndefined();
    }
    expect(open.headers['x-method-override']).toBeUndefined();
    expect(open.headers['x-request-id']).toBe('req-1');
    expect(open.headers['accept-language']).toBe('fr');
    expect(open.headers['x-auth-user-id']).toBeUndefined();

    const authed = await worker.fetch('/api/items', { headers: { ...headers, ...auth() } });
    expect(authed.status).toBe(200);
    const seen = lastSeen();
    expect(withUnderscore(seen)).toEqual([]);
    expect(seen.headers['x-original-url']).toBeUndefined();
    expect(seen.headers['x-rewrite-url']).toBeUndefined();
    expect(seen.headers['x-http-method-override']).toBe('DELETE');
    expect(seen.headers['x-http-method']).toBe('PUT');
    expect(seen.headers['x-method-override']).toBe('PATCH');
    expect(seen.headers['x-request-id']).toBe('req-1');
    expect(seen.headers['x-auth-user-id']).toBe('u-fh');
  });

  it('ALLOW_HEADERS_WITH_UNDERSCORES is matched case-insensitively and never admits a reserved name', async () => {
    const worker = await workerOn({
      ALLOW_HEADERS_WITH_UNDERSCORES: 'x_custom_trace,X_Auth_User_Id, X_FORWARDED_HOST,Forwarded,X_Real_Ip',
    });
    const headers = { ...CLIENT_HEADERS, X_Forwarded_Host: 'admin.internal', X_Real_IP: '10.6.6.6' };
    for (const [path, init] of [
      ['/public/page', { headers }],
      ['/api/items', { headers: { ...headers, ...auth() } }],
    ] as const) {
      expect((await worker.fetch(path, init)).status, path).toBe(200);
      const seen = lastSeen();
      expect(withUnderscore(seen), path).toEqual(['x_custom_trace']);
      expect(seen.headers.x_custom_trace).toBe('trace-1');
      expect(seen.headers['x-forwarded-host'], path).toBe('edge.test');
      expect(seen.headers['x-real-ip'], path).toBeUndefined();
      expect(seen.headers['x-original-url'], path).toBeUndefined();
    }
  });

  it("edge-auth's own credential stays at the edge: its cookie and Bearer token, not the others", async () => {
    const worker = await workerOn();
    const carries = (seen: SeenRequest) => JSON.stringify(seen.headers).includes(token);

    const cookie = `theme=dark; session=${token}; csrftoken=abc`;
    expect((await worker.fetch('/api/a', { headers: { Cookie: cookie } })).status).toBe(200);
    expect(lastSeen().headers.cookie).toBe('theme=dark; csrftoken=abc');
    expect(lastSeen().headers['x-auth-user-id']).toBe('u-fh');
    expect(carries(lastSeen())).toBe(false);

    expect((await worker.fetch('/api/b', { headers: { Cookie: `session=${token}` } })).status).toBe(200);
    expect(lastSeen().headers.cookie).toBeUndefined();

    expect((await worker.fetch('/api/c', bearer(token))).status).toBe(200);
    expect(lastSeen().headers.authorization).toBeUndefined();
    expect(carries(lastSeen())).toBe(false);

    // Basic is the origin's own scheme: kept, while the cookie authenticates.
    const basic = 'Basic dXNlcjpwYXNz';
    const both = { headers: { Authorization: basic, Cookie: `session=${token}; lang=fr` } };
    expect((await worker.fetch('/api/d', both)).status).toBe(200);
    expect(lastSeen().headers.authorization).toBe(basic);
    expect(lastSeen().headers.cookie).toBe('lang=fr');

    // The cookie is found by SESSION_COOKIE's name: a `session` cookie of the app's own is kept.
    const named = await workerOn({ SESSION_COOKIE: 'edge_jwt' });
    const appCookie = { headers: { Cookie: `session=app-owned; edge_jwt=${token}` } };
    expect((await named.fetch('/api/e', appCookie)).status).toBe(200);
    expect(lastSeen().headers.cookie).toBe('session=app-owned');
    expect(lastSeen().headers['x-auth-user-id']).toBe('u-fh');
  });

  it('FORWARD_CREDENTIALS=true forwards the cookie and the Bearer token as sent', async () => {
    const worker = await workerOn({ FORWARD_CREDENTIALS: 'true' });
    const cookie = `theme=dark; session=${token}`;
    expect((await worker.fetch('/api/a', { headers: { Cookie: cookie } })).status).toBe(200);
    expect(lastSeen().headers.cookie).toBe(cookie);
    expect((await worker.fetch('/api/b', bearer(token))).status).toBe(200);
    expect(lastSeen().headers.authorization).toBe(`Bearer ${token}`);
    expect(lastSeen().headers['x-auth-user-id']).toBe('u-fh');
  });

  it('an authenticated answer marked cacheable for shared caches is made private; a public one is not', async () => {
    const worker = await workerOn();
    const authed = async (segment: string) => {
      const res = await worker.fetch(`/api/${segment}`, bearer(token));
      expect(res.status, segment).toBe(200);
      return res.headers.get('Cache-Control');
    };
    expect(directives(await authed('public-60'))).toEqual(['max-age=60', 'private']);
    expect(directives(await authed('s-maxage'))).toEqual(['max-age=60', 'private']);
    expect(await authed('public-s-maxage')).toBe('private');
    expect(await authed('none')).toBe('private');
    expect(await authed('no-store')).toBe('no-store');
    expect(await authed('private-30')).toBe('private, max-age=30');

    // Public answers are everyone's: left as the origin said.
    const open = await worker.fetch('/public/public-60');
    expect(open.headers.get('Cache-Control')).toBe('public, max-age=60');
    expect((await worker.fetch('/public/none')).headers.get('Cache-Control')).toBeNull();
  });
});
