import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { djangoDumps } from '../../test/fixtures/django-sessions/sign';
import { loadDjangoFixture } from '../../test/fixtures/django-sessions/support';
import { utf8 } from './encoding';
import { importDjangoKeys, parseDjangoKeyList } from './keys';
import { base62Decode, unsignDjangoValue } from './signing';

const fixture = loadDjangoFixture('5.2');
const legacy = loadDjangoFixture('3.2');
const AGE = fixture.settings.SESSION_COOKIE_AGE;

function rawKeys(text: string): Uint8Array[] {
  const parsed = parseDjangoKeyList('keys', text);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed.keys;
}

const cookieRaw = rawKeys(fixture.keys.DJANGO_SIGNED_COOKIE_KEYS);
const cookieKeys = await importDjangoKeys(cookieRaw);
const caseValue = (f: typeof fixture, id: string) => f.cases.find((c) => c.id === id)!.value;
const validCookie = caseValue(fixture, 'signed_cookies:valid');
const at = (seconds: number) => () => seconds * 1000;

describe('base62Decode, as Django b62_decode', () => {
  it('reads what Python reads', () => {
    // Values from Django 5.2's b62_decode.
    expect(base62Decode('1QaUZC')).toBe(1309014878);
    expect(base62Decode('-1QaUZC')).toBe(-1309014878);
    expect(base62Decode('zz')).toBe(3843);
    expect(base62Decode('0')).toBe(0);
    expect(base62Decode('-')).toBe(0);
  });

  it('refuses what Python fails on', () => {
    for (const text of ['', '1Q-a', '1_Q', ' 1', 'é']) expect(base62Decode(text)).toBeUndefined();
  });
});

describe('unsignDjangoValue', () => {
  it('verifies a real cookie and reports when and under which key it was signed', async () => {
    const out = await unsignDjangoValue(validCookie, {
      keys: cookieKeys,
      maxAgeSeconds: AGE,
      now: at(fixture.generatedAt),
    });
    expect(out).toMatchObject({ ok: true, signedAt: fixture.generatedAt, keyIndex: 0 });
    expect(out.ok && out.data.startsWith('.')).toBe(true);
  });

  it('refuses a change to any single character, wherever it is', async () => {
    for (let i = 0; i < validCookie.length; i++) {
      const char = validCookie[i] === 'A' ? 'B' : 'A';
      const tampered = validCookie.slice(0, i) + char + validCookie.slice(i + 1);
      const out = await unsignDjangoValue(tampered, { keys: cookieKeys, now: at(fixture.generatedAt) });
      expect(out.ok, `position ${i}`).toBe(false);
    }
  });

  it('tries the keys in order: the first is SECRET_KEY, the others report their index', async () => {
    const fallback = caseValue(fixture, 'signed_cookies:second-fallback-key');
    const now = at(fixture.generatedAt);
    expect(await unsignDjangoValue(fallback, { keys: cookieKeys, now })).toMatchObject({
      ok: true,
      keyIndex: 2,
    });
    expect(await unsignDjangoValue(fallback, { keys: cookieKeys.slice(0, 2), now })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(await unsignDjangoValue(validCookie, { keys: [], now })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('expires a value older than max_age as Django does: age > max_age, in fractional seconds', async () => {
    const signedAt = fixture.generatedAt;
    const keys = cookieKeys;
    const check = (nowMs: number) =>
      unsignDjangoValue(validCookie, { keys, maxAgeSeconds: AGE, now: () => nowMs });
    expect(await check((signedAt + AGE) * 1000)).toMatchObject({ ok: true });
    expect(await check((signedAt + AGE) * 1000 + 1)).toEqual({ ok: false, reason: 'expired' });
    // Django accepts a timestamp from the future (clock skew), and so does the edge.
    expect(await check((signedAt - 3600) * 1000)).toMatchObject({ ok: true });
    // Without max_age (django_session data), age does not matter.
    expect(await unsignDjangoValue(validCookie, { keys, now: at(signedAt + 100 * AGE) })).toMatchObject({
      ok: true,
    });
  });

  it('names the legacy formats Django 3.2 still reads', async () => {
    const sessionKeys = await importDjangoKeys(rawKeys(legacy.keys.DJANGO_SESSION_KEYS));
    const legacyKeys = await importDjangoKeys(rawKeys(legacy.keys.DJANGO_SIGNED_COOKIE_KEYS));
    const now = at(legacy.generatedAt);
    expect(
      await unsignDjangoValue(caseValue(legacy, 'db:legacy-format'), { keys: sessionKeys, now }),
    ).toEqual({
      ok: false,
      reason: 'legacy-format',
    });
    const sha1 = caseValue(legacy, 'signed_cookies:legacy-signature');
    expect(await unsignDjangoValue(sha1, { keys: legacyKeys, now })).toEqual({
      ok: false,
      reason: 'legacy-signature',
    });
  });

  it('refuses malformed values with a reason', async () => {
    const now = at(fixture.generatedAt);
    const [data, timestamp, signature] = validCookie.split(':') as [string, string, string];
    for (const value of [
      '',
      ':',
      '::',
      'abc',
      'a:b',
      `${data}:${signature}`,
      `${data}:!${timestamp}:${signature}`,
    ]) {
      expect(await unsignDjangoValue(value, { keys: cookieKeys, now }), value).toEqual({
        ok: false,
        reason: 'malformed',
      });
    }
    expect(await unsignDjangoValue(`${validCookie}x`, { keys: cookieKeys, now })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    const long = await djangoDumps(utf8('{}'), cookieRaw[0]!, {
      signedAt: fixture.generatedAt,
      rawBody: 'e30'.repeat(400),
    });
    expect(await unsignDjangoValue(long, { keys: cookieKeys, now, maxLength: 1000 })).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(await unsignDjangoValue(long, { keys: cookieKeys, now, maxLength: 2000 })).toMatchObject({
      ok: true,
    });
  });

  it('never throws and never accepts what the keys did not sign', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 300 }),
          fc
            .array(fc.constantFrom('A', 'z', '0', '-', '_', '.', ':', '=', '+', '/'), { maxLength: 200 })
            .map((a) => a.join('')),
          fc
            .tuple(fc.nat(validCookie.length), fc.string({ minLength: 1, maxLength: 4 }))
            .map(([i, s]) => validCookie.slice(0, i) + s + validCookie.slice(i + 1)),
        ),
        async (value) => {
          const out = await unsignDjangoValue(value, {
            keys: cookieKeys,
            maxAgeSeconds: AGE,
            now: at(fixture.generatedAt),
          });
          if (out.ok) expect(value).toBe(validCookie);
        },
      ),
      { numRuns: 300 },
    );
  });
});
