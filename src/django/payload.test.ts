import { describe, expect, it } from 'vitest';
import { deflate, djangoDumps } from '../../test/fixtures/django-sessions/sign';
import { base64urlEncode, latin1, utf8 } from './encoding';
import { importDjangoKeys } from './keys';
import { isPickle, parsePythonJson } from './payload';
import { type ReadSessionOptions, readDjangoSession } from './session';

/**
 * Signed data Django would not write (or writes rarely), signed here with a
 * test key so that it reaches the payload stage: each is refused with its
 * reason, or read as Python would read it, and nothing throws.
 */

const RAW_KEY = crypto.getRandomValues(new Uint8Array(32));
const MODEL = 'django.contrib.auth.backends.ModelBackend';
const SIGNED_AT = 1_800_000_000;
const options: ReadSessionOptions = {
  keys: await importDjangoKeys([RAW_KEY]),
  allowedBackends: [MODEL],
  now: () => SIGNED_AT * 1000,
};

const signed = (data: Uint8Array | string, extra: { compress?: boolean; rawBody?: string } = {}) =>
  djangoDumps(typeof data === 'string' ? utf8(data) : data, RAW_KEY, { signedAt: SIGNED_AT, ...extra });
const read = async (data: Uint8Array | string, extra: { compress?: boolean; rawBody?: string } = {}) =>
  readDjangoSession(await signed(data, extra), options);
const session = (fields: Record<string, unknown>) => JSON.stringify(fields);
const refusedAt = (stage: string, reason: string) => ({ ok: false, stage, reason });

describe('the session payload', () => {
  it('reads the user fields of plain and compressed JSON', async () => {
    const fields = {
      _auth_user_id: '42',
      _auth_user_backend: MODEL,
      _auth_user_hash: 'ab'.repeat(32),
      cart: [1],
    };
    const expected = { userId: '42', backend: MODEL, authHash: 'ab'.repeat(32) };
    expect(await read(session(fields))).toEqual({
      ok: true,
      user: expected,
      signatureKey: 0,
      signedAt: SIGNED_AT,
    });
    expect(await read(session(fields), { compress: true })).toMatchObject({ ok: true, user: expected });
  });

  it('refuses pickled data distinctly, compressed or not', async () => {
    // pickle.dumps({'_auth_user_id': '1'}, 5) from CPython 3.11.
    const pickle = Uint8Array.from(atob('gAWVGAAAAAAAAAB9lIwNX2F1dGhfdXNlcl9pZJSMATGUcy4='), (c) =>
      c.charCodeAt(0),
    );
    expect(isPickle(pickle)).toBe(true);
    expect(await read(pickle)).toEqual(refusedAt('payload', 'pickled'));
    expect(await read(pickle, { compress: true })).toEqual(refusedAt('payload', 'pickled'));
    expect(isPickle(utf8('{"a":1}'))).toBe(false);
    expect(isPickle(new Uint8Array([0x80]))).toBe(false);
  });

  it('refuses what is not a JSON object as undecodable', async () => {
    for (const text of ['[1,2]', '"text"', '42', 'null', '{"a":', '', 'true']) {
      expect(await read(text), text).toEqual(refusedAt('payload', 'undecodable'));
    }
    expect(await read('', { rawBody: 'e30+' })).toEqual(refusedAt('payload', 'undecodable'));
    expect(await read('', { rawBody: '.not-zlib' })).toEqual(refusedAt('payload', 'undecodable'));
    expect(await read('', { rawBody: `.${'A'.repeat(4)}` })).toEqual(refusedAt('payload', 'undecodable'));
    // A stream cut short, which Python's zlib.decompress refuses too.
    const whole = await deflate(utf8(session({ _auth_user_id: '1', _auth_user_backend: MODEL })));
    const cut = `.${base64urlEncode(whole.subarray(0, whole.length - 6))}`;
    expect(await read('', { rawBody: cut })).toEqual(refusedAt('payload', 'undecodable'));
  });

  it('stops inflating at the bound (a signed zip bomb) and refuses data over it', async () => {
    const big = new Uint8Array(4 << 20).fill(0x20);
    expect(await read(big, { compress: true })).toEqual(refusedAt('payload', 'too-large'));
    const small = { ...options, maxBytes: 1000 };
    expect(
      await readDjangoSession(await signed(session({ pad: 'x'.repeat(2000) }), { compress: true }), small),
    ).toEqual(refusedAt('payload', 'too-large'));
  });

  it("reads Python's NaN and Infinity, which Django's json.dumps writes", async () => {
    const text = `{"_auth_user_id":"7","score":NaN,"max":Infinity,"min":-Infinity,"s":"NaN \\" Infinity","_auth_user_backend":"${MODEL}"}`;
    expect(parsePythonJson(text)).toEqual({
      _auth_user_id: '7',
      score: null,
      max: null,
      min: null,
      s: 'NaN " Infinity',
      _auth_user_backend: MODEL,
    });
    expect(await read(text)).toMatchObject({ ok: true, user: { userId: '7' } });
    expect(parsePythonJson('{"a":NaNa}')).toBeUndefined();
  });

  it('reads bytes as Latin-1, as JSONSerializer.loads does', () => {
    expect(latin1(new Uint8Array([0x22, 0x80, 0x9f, 0xe9, 0x22]))).toBe('"\u0080\u009f\u00e9"');
    expect(parsePythonJson(latin1(new Uint8Array([0x22, 0xe9, 0x22])))).toBe('é');
  });
});

describe('the user fields', () => {
  it('a session without a user id or a backend has no user', async () => {
    for (const fields of [
      {},
      { _auth_user_backend: MODEL },
      { _auth_user_id: '1' },
      { _auth_user_id: 1.5, _auth_user_backend: MODEL },
      { _auth_user_id: true, _auth_user_backend: MODEL },
      { _auth_user_id: '', _auth_user_backend: MODEL },
      { _auth_user_id: null, _auth_user_backend: MODEL },
    ]) {
      expect(await read(session(fields)), JSON.stringify(fields)).toEqual(refusedAt('payload', 'no-user'));
    }
  });

  it('an integer id (hand-written session code) is read as Django reads it', async () => {
    expect(await read(session({ _auth_user_id: 42, _auth_user_backend: MODEL }))).toMatchObject({
      ok: true,
      user: { userId: '42' },
    });
  });

  it('the backend must be one of AUTHENTICATION_BACKENDS, exactly', async () => {
    for (const backend of [`${MODEL} `, MODEL.toLowerCase(), 'other.Backend', 1, null, [MODEL]]) {
      expect(await read(session({ _auth_user_id: '1', _auth_user_backend: backend }))).toEqual(
        refusedAt('payload', 'backend-not-allowed'),
      );
    }
  });

  it('an empty or non-text auth hash counts as none', async () => {
    for (const hash of ['', 5, null, ['ab']]) {
      const out = await read(
        session({ _auth_user_id: '1', _auth_user_backend: MODEL, _auth_user_hash: hash }),
      );
      expect(out).toMatchObject({ ok: true, user: { authHash: undefined } });
    }
  });
});
