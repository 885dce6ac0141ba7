import { describe, expect, it } from 'vitest';
import { profile } from '../../test/support/memory-app';
import { IdentityError } from '../errors';
import { encodeHeaderValue, identityHeaders, MAX_HEADER_VALUE_BYTES } from './identity';
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

  it('encodes values injectively: % escaped, nothing dropped, trimmed or cut', () => {
    expect(encodeHeaderValue('ada\r\nX-Injected: 1')).toBe('ada%0D%0AX-Injected%3A%201');
    expect(encodeHeaderValue('Zoë 日本')).toBe('Zo%C3%AB%20%E6%97%A5%E6%9C%AC');
    expect(encodeHeaderValue('ada@example.com')).toBe('ada@example.com');
    // Pairs an outside review found to collide under the old encoding.
    const pairs: [string, string][] = [
      ['rémy', 'r%C3%A9my'],
      ['admin\u0007', 'admin'],
      [' admin ', 'admin'],
      ['a@b', 'a%40b'],
      [`${'x'.repeat(250)}-one`, `${'x'.repeat(250)}-two`],
    ];
    for (const [a, b] of pairs) {
      expect(encodeHeaderValue(a)).not.toBe(encodeHeaderValue(b));
      expect(decodeURIComponent(encodeHeaderValue(a)!)).toBe(a);
    }
    const all = Array.from({ length: 0x250 }, (_, i) => String.fromCodePoint(i));
    const encoded = all.map((c) => encodeHeaderValue(`v${c}`)!);
    expect(new Set(encoded).size).toBe(all.length);
    for (const value of encoded) {
      expect(value).toMatch(/^[A-Za-z0-9\-_.!~*'()@%]+$/);
      expect(() => new Headers([['x', value]])).not.toThrow();
    }
  });

  it('refuses, never cuts, a value too long for a header, and a lone surrogate', () => {
    expect(encodeHeaderValue('a'.repeat(MAX_HEADER_VALUE_BYTES))).toHaveLength(MAX_HEADER_VALUE_BYTES);
    expect(encodeHeaderValue('a'.repeat(MAX_HEADER_VALUE_BYTES + 1))).toBeUndefined();
    expect(encodeHeaderValue('é'.repeat(200))).toBeUndefined(); // 1200 bytes once encoded
    expect(encodeHeaderValue('\ud800lone')).toBeUndefined();
    const session = {
      user: profile('42', { username: 'u'.repeat(2000) }),
      session: { id: 's1', expiresAt: 0, data: {} },
    };
    expect(() => identityHeaders(session)).toThrow(IdentityError);
    expect(() => identityHeaders(session)).toThrow(/X-Auth-Username/);
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

  it('never treats a path that an origin could resolve elsewhere as public', () => {
    const isPublic = publicPathMatcher(['/public', '/assets*']);
    const confusing = [
      '/public/..%2fadmin',
      '/public/..%2Fadmin',
      '/public/..;/admin',
      '/public;x/../admin',
      '/public/%5c..%5cadmin',
      '/public/..%252fadmin',
      '/public/%2e%2e/admin',
      '/public/.%2e/admin',
      '/public/%2E./admin',
      '/public/x%00.js',
      '/public/%c0%af..%c0%afadmin',
      '/public/%zz',
      '/public/%',
      '/public/\\../admin',
      '/public/\uFF0E\uFF0E\uFF0Fadmin',
      '/public/%EF%BC%8E%EF%BC%8E%EF%BC%8Fadmin',
      '/public/%0a',
      '/assets..%2f..%2fadmin',
      '/assets../settings.py',
      '/assets/..',
      '/public/a..b/c',
      '/public/x/..',
      '/assets\uFF0E\uFF0E/x',
    ];
    expect(confusing.filter(isPublic)).toEqual([]);
    const plain = [
      '/public',
      '/public/',
      '/public/app.js',
      '/public/caf%C3%A9.png',
      '/public/a.b/c',
      '/assets-v2/x',
    ];
    expect(plain.filter(isPublic)).toEqual(plain);
  });
});
