import { describe, expect, it } from 'vitest';
import { profile } from '../../test/support/memory-app';
import { headerValue, identityHeaders, stripIdentityHeaders } from './identity';
import { publicPathMatcher } from './public-paths';

describe('identity headers', () => {
  it('omits absent values and writes booleans as true/false', () => {
    const headers = identityHeaders({
      user: profile('42', { email: null, isStaff: true }),
      session: { id: 's1', expiresAt: 0, data: {} },
    });
    expect(headers).toEqual([
      ['X-Auth-User-Id', '42'],
      ['X-Auth-Session-Id', 's1'],
      ['X-Auth-Username', 'user-42'],
      ['X-Auth-Is-Staff', 'true'],
      ['X-Auth-Is-Superuser', 'false'],
    ]);
    expect(() => new Headers(headers)).not.toThrow();
  });

  it('removes control characters, percent-encodes non-ASCII and bounds the length', () => {
    expect(headerValue('ada\r\nX-Injected: 1')).toBe('adaX-Injected: 1');
    expect(headerValue('Zoë 日本')).toBe('Zo%C3%AB %E6%97%A5%E6%9C%AC');
    expect(headerValue('\ud800lone')).toBe('%EF%BF%BDlone');
    expect(headerValue('a'.repeat(1000))).toHaveLength(256);
    const cut = headerValue(`${'a'.repeat(254)}é`);
    expect(cut).toBe('a'.repeat(254)); // never half an escape
    expect(() => new Headers([['x', headerValue('\u0000\u007f日本'.repeat(100))]])).not.toThrow();
  });

  it('strips every client-supplied X-Auth-* header, whatever its case', () => {
    const headers = new Headers({
      'X-Auth-User-Id': '1',
      'x-auth-email': 'e',
      'X-Authority': 'keep',
      Accept: '*/*',
    });
    stripIdentityHeaders(headers);
    expect([...headers.keys()]).toEqual(['accept', 'x-authority']);
  });
});

describe('publicPathMatcher', () => {
  it('matches whole segments without *, plain prefixes with it', () => {
    const isPublic = publicPathMatcher(['/static', '/login*', '/docs/']);
    expect(
      ['/static', '/static/a.css', '/login', '/login/x', '/loginhelp', '/docs', '/docs/x'].map(isPublic),
    ).toEqual(Array(7).fill(true));
    expect(['/static-admin', '/', '/api/static', '/doc'].map(isPublic)).toEqual(Array(4).fill(false));
    expect(publicPathMatcher([])('/anything')).toBe(false);
  });
});
