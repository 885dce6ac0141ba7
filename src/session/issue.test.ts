import { exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { issueSession } from './issue';

const SECRET = 'a-login-service-secret-of-32-bytes!!';
/** A stand-in for the database: records the statement, answers like Postgres would. */
function fakeDb(now = 1_800_000_000) {
  const calls: { text: string; params: unknown[] }[] = [];
  const sql = async (text: string, params: unknown[]) => {
    calls.push({ text, params });
    return [{ exp: now + Number(params[2]), iat: now }];
  };
  return { sql, calls, now };
}

describe('issueSession', () => {
  it('inserts one row and signs sub, sid, exp (= the row expiry) and iat from the database clock', async () => {
    const db = fakeDb();
    const issued = await issueSession({
      sql: db.sql,
      userId: 42,
      lifetimeSeconds: 3600,
      key: { secret: SECRET },
    });
    expect(db.calls).toHaveLength(1);
    const [call] = db.calls;
    expect(call!.text).toMatch(/^INSERT INTO sessions \(id, user_id, expires_at, data\)/);
    expect(call!.params).toEqual([issued.sessionId, '42', 3600, '{}']);
    expect(issued.sessionId).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(issued.expiresAt.getTime()).toBe((db.now + 3600) * 1000);
    const { payload, protectedHeader } = await jwtVerify(issued.token, new TextEncoder().encode(SECRET), {
      currentDate: new Date(db.now * 1000),
    });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toEqual({ sub: '42', sid: issued.sessionId, exp: db.now + 3600, iat: db.now });
  });

  it('gives every session a fresh id', async () => {
    const db = fakeDb();
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      ids.add(
        (await issueSession({ sql: db.sql, userId: 'u1', lifetimeSeconds: 60, key: { secret: SECRET } }))
          .sessionId,
      );
    }
    expect(ids.size).toBe(20);
  });

  it('signs with a private JWK, its kid in the header, plus iss, aud and data; uses .query when there is one', async () => {
    const db = fakeDb();
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'key-2026-11' };
    const issued = await issueSession({
      sql: { query: db.sql },
      userId: 'u1',
      lifetimeSeconds: 60,
      data: { plan: 'pro' },
      key: { privateKey: jwk, alg: 'ES256' },
      issuer: 'https://login.example',
      audience: 'edge-auth',
    });
    expect(db.calls[0]!.params[3]).toBe('{"plan":"pro"}');
    const { payload, protectedHeader } = await jwtVerify(issued.token, publicKey, {
      issuer: 'https://login.example',
      audience: 'edge-auth',
      currentDate: new Date(db.now * 1000),
    });
    expect(protectedHeader.kid).toBe('key-2026-11');
    expect(payload.sub).toBe('u1');
  });

  it('accepts pg-style results ({ rows })', async () => {
    const db = fakeDb();
    const sql = { query: async (text: string, params: unknown[]) => ({ rows: await db.sql(text, params) }) };
    const issued = await issueSession({ sql, userId: 7, lifetimeSeconds: 10, key: { secret: SECRET } });
    expect(issued.expiresAt.getTime()).toBe((db.now + 10) * 1000);
  });

  it('refuses weak keys and bad lifetimes before touching the database', async () => {
    const db = fakeDb();
    const base = { sql: db.sql, userId: 'u1', lifetimeSeconds: 60 };
    await expect(issueSession({ ...base, key: { secret: 'short' } })).rejects.toThrow(/at least 32 bytes/);
    await expect(issueSession({ ...base, key: { secret: SECRET, alg: 'HS512' } })).rejects.toThrow(
      /64 bytes/,
    );
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    await expect(
      issueSession({ ...base, key: { privateKey: await exportJWK(publicKey), alg: 'ES256' } }),
    ).rejects.toThrow(/private JWK/);
    await expect(issueSession({ ...base, key: { privateKey, alg: 'HS256' } })).rejects.toThrow(/asymmetric/);
    for (const lifetimeSeconds of [0, -1, 1.5, Number.NaN]) {
      await expect(issueSession({ ...base, lifetimeSeconds, key: { secret: SECRET } })).rejects.toThrow(
        RangeError,
      );
    }
    expect(db.calls).toHaveLength(0);
  });
});
