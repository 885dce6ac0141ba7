import { describe, expect, it } from 'vitest';
import { makePrivate } from './private-answer';
import {
  type Admission,
  DEFAULT_HEADER_POLICY,
  type HeaderPolicy,
  stripClientHeaders,
} from './request-headers';

function strip(init: Record<string, string>, admission: Admission, policy: Partial<HeaderPolicy> = {}) {
  const headers = new Headers(init);
  stripClientHeaders(headers, admission, { ...DEFAULT_HEADER_POLICY, ...policy });
  return Object.fromEntries(headers);
}

describe('stripClientHeaders', () => {
  it('strips every header only edge-auth may set, in any case and with _ for -', () => {
    const kept = strip(
      {
        'X-Auth-User-Id': '1',
        'x-auth-email': 'e',
        'X-Auth_Is_Superuser': 'true',
        'X-Forwarded-For': '10.0.0.1',
        Forwarded: 'for=10.0.0.1',
        'X-Real-IP': '10.0.0.1',
        'X-Authority': 'keep',
        'XAuth-User': 'keep',
        Accept: '*/*',
      },
      'authenticated',
    );
    expect(Object.keys(kept)).toEqual(['accept', 'x-authority', 'xauth-user']);
  });

  it('drops every name with _ (CGI metadata) and the path rewrites, on every admission', () => {
    for (const admission of ['authenticated', 'public', 'preflight'] as const) {
      const kept = strip(
        {
          SCRIPT_NAME: '/login',
          Path_Info: '/account',
          REMOTE_USER: 'admin',
          X_Custom: 'x',
          'X-Original-URL': '/admin',
          'x-rewrite-url': '/admin',
          'X-Trace': 'keep',
        },
        admission,
      );
      expect(kept, admission).toEqual({ 'x-trace': 'keep' });
    }
  });

  it('lets listed names with _ through, never a reserved one even when listed', () => {
    const kept = strip({ X_Custom_Trace: 't', X_Auth_User_Id: 'admin', X_Other: 'o' }, 'public', {
      headersWithUnderscores: ['x_custom_trace', 'x_auth_user_id'],
    });
    expect(kept).toEqual({ x_custom_trace: 't' });
  });

  it('never lets a path rewrite or an unauthenticated method override through in its _ spelling, even when allowed', () => {
    const allowed = { headersWithUnderscores: ['x_original_url', 'x_http_method_override', 'x_trace'] };
    const sent = { X_Original_URL: '/admin', X_HTTP_Method_Override: 'DELETE', X_Trace: 't' };
    expect(strip(sent, 'public', allowed)).toEqual({ x_trace: 't' });
    expect(strip(sent, 'authenticated', allowed)).toEqual({ x_http_method_override: 'DELETE', x_trace: 't' });
  });

  it('drops method overrides on public paths and preflights only', () => {
    const overrides = {
      'X-HTTP-Method-Override': 'DELETE',
      'X-HTTP-Method': 'PUT',
      'X-Method-Override': 'PATCH',
    };
    expect(strip(overrides, 'public')).toEqual({});
    expect(strip(overrides, 'preflight')).toEqual({});
    expect(Object.keys(strip(overrides, 'authenticated'))).toHaveLength(3);
  });

  it("removes edge-auth's cookie and Bearer token, keeping the others and Basic", () => {
    const sent = { Cookie: 'theme=dark; session=eyJ.x.y;csrftoken=abc', Authorization: 'Bearer eyJ.x.y' };
    expect(strip(sent, 'authenticated')).toEqual({ cookie: 'theme=dark; csrftoken=abc' });
    expect(strip(sent, 'public')).toEqual({ cookie: 'theme=dark; csrftoken=abc' });
    expect(strip({ Cookie: 'session=a' }, 'authenticated')).toEqual({});
    expect(strip({ Cookie: 'sid=a; session=b' }, 'authenticated', { cookieName: 'sid' })).toEqual({
      cookie: 'session=b',
    });
    expect(strip({ Authorization: 'Basic dTpw' }, 'authenticated')).toEqual({ authorization: 'Basic dTpw' });
    expect(strip(sent, 'authenticated', { forwardCredentials: true })).toEqual({
      cookie: sent.Cookie,
      authorization: sent.Authorization,
    });
  });

  it('forwards a preflight without any credential, even with FORWARD_CREDENTIALS', () => {
    const sent = { Cookie: 'theme=dark', Authorization: 'Basic dTpw', Origin: 'https://app.example' };
    expect(strip(sent, 'preflight', { forwardCredentials: true })).toEqual({ origin: 'https://app.example' });
  });
});

describe('makePrivate', () => {
  const privatized = (cacheControl: string | null, extra: Record<string, string> = {}) => {
    const headers = new Headers(extra);
    if (cacheControl !== null) headers.set('Cache-Control', cacheControl);
    makePrivate(headers);
    return Object.fromEntries(headers);
  };

  it('turns shared-cacheable answers private and drops CDN-only caching headers', () => {
    expect(privatized('public, max-age=600')).toEqual({ 'cache-control': 'max-age=600, private' });
    expect(privatized('max-age=60, s-maxage=600')).toEqual({ 'cache-control': 'max-age=60, private' });
    expect(privatized(null)).toEqual({ 'cache-control': 'private' });
    expect(privatized('private="Set-Cookie", max-age=60')).toEqual({
      'cache-control': 'private="Set-Cookie", max-age=60, private',
    });
    expect(
      privatized('private, max-age=60', {
        'CDN-Cache-Control': 'max-age=600',
        'Surrogate-Control': 'max-age=9',
      }),
    ).toEqual({
      'cache-control': 'private, max-age=60',
    });
  });

  it('leaves private and no-store answers as they are', () => {
    expect(privatized('no-store')).toEqual({ 'cache-control': 'no-store' });
    expect(privatized('Private, max-age=5')).toEqual({ 'cache-control': 'Private, max-age=5' });
  });
});
