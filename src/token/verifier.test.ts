import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { baseEnv, SECRET } from '../../test/support/memory-app';
import { parseConfig } from '../config';
import { AuthError, DependencyError } from '../errors';
import { extractToken } from './extract';
import { createTokenVerifier } from './verifier';

const tokenConfig = (overrides: Parameters<typeof baseEnv>[0] = {}) => {
  const { token } = parseConfig(baseEnv(overrides));
  if (!token.keys) throw new Error('a JWT configuration has keys');
  return { ...token, keys: token.keys };
};
const hmac = (claims: Record<string, unknown>, alg = 'HS256') =>
  new SignJWT(claims).setProtectedHeader({ alg }).sign(new TextEncoder().encode(SECRET));
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('createTokenVerifier', () => {
  it('returns sub, sid and exp of a valid HS256 token', async () => {
    const verifier = createTokenVerifier(tokenConfig());
    const exp = inAnHour();
    expect(await verifier.verify(await hmac({ sub: 'u1', sid: 's1', exp }))).toEqual({
      sub: 'u1',
      sid: 's1',
      exp,
    });
  });

  it('imports the HMAC key once, not per request', async () => {
    const token = await hmac({ sub: 'u1', sid: 's1', exp: inAnHour() });
    const importKey = vi.spyOn(crypto.subtle, 'importKey');
    const verifier = createTokenVerifier(tokenConfig());
    for (let i = 0; i < 5; i++) await verifier.verify(token);
    expect(importKey).toHaveBeenCalledTimes(1);
    importKey.mockRestore();
  });

  it('remembers a verified token for rememberMs: one signature check per burst, expiry still enforced', async () => {
    vi.useFakeTimers({ toFake: ['Date'] }); // jose and the verifier read the same clock
    const verify = vi.spyOn(crypto.subtle, 'verify');
    try {
      const start = Date.now();
      const verifier = createTokenVerifier(tokenConfig(), { rememberMs: 30_000 });
      const exp = Math.floor(start / 1000) + 10;
      const token = await hmac({ sub: 'u1', sid: 's1', exp });
      for (let i = 0; i < 5; i++) expect((await verifier.verify(token)).sub).toBe('u1');
      expect(verify).toHaveBeenCalledTimes(1);
      vi.setSystemTime((exp + 6) * 1000); // still remembered, but expired beyond the 5 s tolerance
      expect((await rejection(verifier.verify(token))).message).toBe('token expired');
      vi.setSystemTime(start + 1_000);
      const fresh = await hmac({ sub: 'u2', sid: 's2', exp: exp + 3600 });
      await verifier.verify(fresh);
      const calls = verify.mock.calls.length;
      vi.setSystemTime(start + 31_500); // forgotten: the signature is checked again
      await verifier.verify(fresh);
      expect(verify).toHaveBeenCalledTimes(calls + 1);
      // A different string (one character changed) is never taken for the remembered one.
      const forged = `${fresh.slice(0, -2)}${fresh.at(-2) === 'A' ? 'B' : 'A'}${fresh.slice(-1)}`;
      expect(await rejection(verifier.verify(forged))).toBeInstanceOf(AuthError);
    } finally {
      verify.mockRestore();
      vi.useRealTimers();
    }
  });

  it('checks issuer and audience when configured', async () => {
    const verifier = createTokenVerifier(
      tokenConfig({ JWT_ISSUER: 'https://id.example', JWT_AUDIENCE: 'web' }),
    );
    const ok = await hmac({ sub: 'u1', sid: 's1', exp: inAnHour(), iss: 'https://id.example', aud: 'web' });
    expect((await verifier.verify(ok)).sub).toBe('u1');
    const wrongIss = await hmac({
      sub: 'u1',
      sid: 's1',
      exp: inAnHour(),
      iss: 'https://evil.example',
      aud: 'web',
    });
    expect((await rejection(verifier.verify(wrongIss))).message).toBe('claim "iss" is missing or invalid');
    const noAud = await hmac({ sub: 'u1', sid: 's1', exp: inAnHour(), iss: 'https://id.example' });
    expect((await rejection(verifier.verify(noAud))).message).toBe('claim "aud" is missing or invalid');
  });

  it('honours the clock tolerance on exp', async () => {
    const justExpired = await hmac({ sub: 'u1', sid: 's1', exp: Math.floor(Date.now() / 1000) - 2 });
    expect((await createTokenVerifier(tokenConfig()).verify(justExpired)).sub).toBe('u1');
    const err = await rejection(
      createTokenVerifier(tokenConfig({ CLOCK_TOLERANCE_SECONDS: '0' })).verify(justExpired),
    );
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toBe('token expired');
  });

  it('requires exp, and sub and sid as short printable strings', async () => {
    const verifier = createTokenVerifier(tokenConfig());
    for (const claims of [
      { sub: 'u1', sid: 's1' },
      { sub: 'u1', sid: 42, exp: inAnHour() },
      { sub: '', sid: 's1', exp: inAnHour() },
      { sub: 'u1', sid: 's\u0000', exp: inAnHour() },
      { sub: 'u'.repeat(300), sid: 's1', exp: inAnHour() },
    ]) {
      expect(await rejection(verifier.verify(await hmac(claims)))).toBeInstanceOf(AuthError);
    }
  });

  it("verifies against a local JWKS using the keys' own algorithms", async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    const verifier = createTokenVerifier(
      tokenConfig({ JWT_SECRET: undefined, JWT_PUBLIC_JWKS: JSON.stringify({ keys: [jwk] }) }),
    );
    const token = await new SignJWT({ sub: 'u1', sid: 's1', exp: inAnHour() })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .sign(privateKey);
    expect((await verifier.verify(token)).sid).toBe('s1');
    // An HMAC token "signed" with the public key material must not pass.
    const confused = await new SignJWT({ sub: 'u1', sid: 's1', exp: inAnHour() })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .sign(new TextEncoder().encode(JSON.stringify(jwk)));
    expect(await rejection(verifier.verify(confused))).toBeInstanceOf(AuthError);
  });

  describe('remote JWKS', () => {
    async function issuer() {
      const { publicKey, privateKey } = await generateKeyPair('RS256');
      const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' }] };
      const sign = (kid = 'k1') =>
        new SignJWT({ sub: 'u1', sid: 's1', exp: inAnHour() })
          .setProtectedHeader({ alg: 'RS256', kid })
          .sign(privateKey);
      return { jwks, sign };
    }
    const remoteConfig = () =>
      tokenConfig({ JWT_SECRET: undefined, JWT_JWKS_URL: 'https://id.example/.well-known/jwks.json' });

    it('a cold burst of 10 concurrent verifications fetches the key set once', async () => {
      // jose shares in-flight fetches except on Workers, which it detects by WebSocketPair.
      vi.stubGlobal('WebSocketPair', class {});
      const { jwks, sign } = await issuer();
      // The key server answers only once all ten verifications are waiting on it.
      let answer: () => void = () => {};
      const answered = new Promise<void>((r) => (answer = r));
      const fetchMock = vi.fn(async () => {
        await answered;
        return Response.json(jwks);
      });
      const verifier = createTokenVerifier(remoteConfig(), { fetch: fetchMock });
      const token = await sign();
      const pending = Promise.all(Array.from({ length: 10 }, () => verifier.verify(token)));
      await vi.waitFor(() => expect(fetchMock).toHaveBeenCalled());
      answer();
      const results = await pending;
      expect(results.every((c) => c.sub === 'u1')).toBe(true);
      expect(fetchMock).toHaveBeenCalledTimes(1);
      vi.unstubAllGlobals();
    });

    it('an unknown kid is a 401, and the cooldown stops it from refetching', async () => {
      const { jwks, sign } = await issuer();
      const fetchMock = vi.fn(async () => Response.json(jwks));
      const verifier = createTokenVerifier(remoteConfig(), { fetch: fetchMock });
      await verifier.verify(await sign());
      const unknown = await sign('k-unknown');
      for (let i = 0; i < 3; i++) {
        const err = await rejection(verifier.verify(unknown));
        expect(err).toBeInstanceOf(AuthError);
        expect(err.message).toBe('no key matches the token');
      }
      expect(fetchMock).toHaveBeenCalledTimes(1);
    });

    it('an unreachable key server is a DependencyError (503), not a 401', async () => {
      const { sign } = await issuer();
      const verifier = createTokenVerifier(remoteConfig(), {
        fetch: vi.fn(async () => Promise.reject(new TypeError('fetch failed'))),
      });
      const err = await rejection(verifier.verify(await sign()));
      expect(err).toBeInstanceOf(DependencyError);
      expect((err as DependencyError).dependency).toBe('keys');
    });

    it('stale-if-error: a key server outage keeps known keys working and unknown kids at 401, one refetch per cooldown', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        const { jwks, sign } = await issuer();
        let up = true;
        const fetchMock = vi.fn(async () =>
          up ? Response.json(jwks) : Promise.reject(new TypeError('down')),
        );
        const lines: string[] = [];
        const verifier = createTokenVerifier(remoteConfig(), { fetch: fetchMock, log: (l) => lines.push(l) });
        const known = await sign();
        expect((await verifier.verify(known)).sub).toBe('u1');
        expect(fetchMock).toHaveBeenCalledTimes(1);

        up = false;
        vi.setSystemTime(Date.now() + 11 * 60_000); // past jose's 10 min max age: a refresh is due
        expect((await verifier.verify(known)).sub).toBe('u1'); // the refresh failed; the last good set verifies
        expect(fetchMock).toHaveBeenCalledTimes(2);
        expect(lines).toEqual([
          expect.stringMatching(/^edge-auth: key set refresh failed, verifying with the last good one/),
        ]);

        const unknown = await sign('k-new');
        for (let i = 0; i < 5; i++) {
          const err = await rejection(verifier.verify(unknown));
          expect(err).toBeInstanceOf(AuthError); // a 401, not a 503 storm
        }
        expect((await verifier.verify(known)).sub).toBe('u1');
        expect(fetchMock).toHaveBeenCalledTimes(2); // nothing refetched within the cooldown

        vi.setSystemTime(Date.now() + 31_000); // the cooldown is over: one more attempt
        expect(await rejection(verifier.verify(unknown))).toBeInstanceOf(AuthError);
        expect(fetchMock).toHaveBeenCalledTimes(3);

        up = true; // the issuer is back (its set still lacks k-new): refetched once the cooldown is over
        vi.setSystemTime(Date.now() + 31_000);
        expect(await rejection(verifier.verify(unknown))).toBeInstanceOf(AuthError); // still unknown to it
        expect(fetchMock).toHaveBeenCalledTimes(4);
      } finally {
        vi.useRealTimers();
      }
    });

    it('a key server answering 500, invalid JSON or a non-JWKS is a 503; slow is a 503', async () => {
      const { sign } = await issuer();
      const answers = [
        () => new Response('oops', { status: 500 }),
        () => new Response('<html>', { status: 200 }),
        () => Response.json({ nope: true }),
      ];
      for (const answer of answers) {
        const verifier = createTokenVerifier(remoteConfig(), { fetch: vi.fn(async () => answer()) });
        const err = await rejection(verifier.verify(await sign()));
        expect(err, String(answer)).toBeInstanceOf(DependencyError);
      }
    });

    it('without JWT_ALGORITHMS, none, HMAC, unknown and encryption algorithms are 401s, never 503s', async () => {
      const { jwks, sign } = await issuer();
      const fetchMock = vi.fn(async () => Response.json(jwks));
      const verifier = createTokenVerifier(remoteConfig(), { fetch: fetchMock });
      const claims = { sub: 'u1', sid: 's1', exp: inAnHour() };
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const payload = b64(claims);
      const forged = [
        `${b64({ alg: 'none' })}.${payload}.`,
        `${b64({ alg: 'none', kid: 'k1' })}.${payload}.sig`,
        await new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
          .sign(new TextEncoder().encode(JSON.stringify(jwks.keys[0]))),
        `${b64({ alg: 'XX999', kid: 'k1' })}.${payload}.c2ln`,
        `${b64({ alg: 'RSA-OAEP', enc: 'A256GCM', kid: 'k1' })}.${payload}.c2ln`,
        `${b64({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.a.b.c.d`,
        `${b64({ alg: 'ES256', kid: 'k1' })}.${payload}.c2ln`,
      ];
      for (const token of forged) {
        const err = await rejection(verifier.verify(token));
        expect(err, token.slice(0, 40)).toBeInstanceOf(AuthError);
      }
      expect((await verifier.verify(await sign())).sub).toBe('u1');
    });
  });
});

describe('extractToken', () => {
  const headers = (init: Record<string, string>) => new Headers(init);
  it('prefers the bearer token, falls back to the cookie, ignores other schemes', () => {
    expect(extractToken(headers({ Authorization: 'Bearer abc', Cookie: 'session=xyz' }), 'session')).toBe(
      'abc',
    );
    expect(extractToken(headers({ Authorization: 'bearer   abc ' }), 'session')).toBe('abc');
    expect(
      extractToken(headers({ Authorization: 'Basic dTpw', Cookie: 'x=1; session=xyz' }), 'session'),
    ).toBe('xyz');
    expect(extractToken(headers({ Cookie: 'sessionx=1; session="q%2Bw"' }), 'session')).toBe('q+w');
    expect(extractToken(headers({ Cookie: 'other=1' }), 'session')).toBeUndefined();
    expect(extractToken(headers({}), 'session')).toBeUndefined();
  });
  it('refuses a malformed bearer credential', () => {
    expect(() => extractToken(headers({ Authorization: 'Bearer' }), 'session')).toThrow(AuthError);
    expect(() => extractToken(headers({ Authorization: 'Bearer a b' }), 'session')).toThrow(AuthError);
  });
});
