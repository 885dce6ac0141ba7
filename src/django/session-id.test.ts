import { describe, expect, it } from 'vitest';
import { base64urlEncode } from './encoding';
import { djangoSessionId, importSessionIdKey, parseSessionIdKey } from './session-id';

const RAW = Uint8Array.from({ length: 32 }, (_, i) => i);
const SESSION_KEY = 'q8w0z3vdkx7m1ljk2p9s8a6h4n5c0r2t';

describe('djangoSessionId', () => {
  it('is HMAC-SHA256 of a labelled session key, cut to 128 bits (a known answer from Python)', async () => {
    // base64url(hmac.new(bytes(range(32)), b"edge-auth django session id v1\n" + key, sha256).digest()[:16])
    expect(await djangoSessionId(await importSessionIdKey(RAW), SESSION_KEY)).toBe('2n5VPupWEpfYxn-CFO0JBg');
  });

  it('is stable for a session, distinct across sessions and across id keys, and holds nothing of the key', async () => {
    const key = await importSessionIdKey(RAW);
    const other = await importSessionIdKey(crypto.getRandomValues(new Uint8Array(32)));
    const id = await djangoSessionId(key, SESSION_KEY);
    expect(await djangoSessionId(key, SESSION_KEY)).toBe(id);
    expect(await djangoSessionId(key, `${SESSION_KEY.slice(0, -1)}u`)).not.toBe(id);
    expect(await djangoSessionId(other, SESSION_KEY)).not.toBe(id);
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    for (let i = 0; i + 4 <= SESSION_KEY.length; i++) expect(id).not.toContain(SESSION_KEY.slice(i, i + 4));
  });
});

describe('parseSessionIdKey', () => {
  it('reads 32 or more bytes of base64url', () => {
    const text = base64urlEncode(RAW);
    expect(parseSessionIdKey(` ${text}\n`)).toEqual({ key: RAW });
    expect(parseSessionIdKey(base64urlEncode(new Uint8Array(64)))).toMatchObject({ key: new Uint8Array(64) });
  });

  it('refuses a short or malformed key, naming the variable, not the value', () => {
    for (const text of ['', base64urlEncode(RAW.subarray(1)), `${base64urlEncode(RAW)}=`, 'not base64url!']) {
      expect(parseSessionIdKey(text)).toEqual({
        problem: 'DJANGO_SESSION_ID_KEY must be at least 32 random bytes in unpadded base64url',
      });
    }
  });
});
