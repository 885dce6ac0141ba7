import { describe, expect, it } from 'vitest';
import { loadDjangoFixture } from '../../test/fixtures/django-sessions/support';
import { checkDjangoUser, matchAuthHash } from './auth-hash';
import { importDjangoKeys, parseDjangoKeyList } from './keys';
import { readDjangoSession } from './session';

const fixture = loadDjangoFixture('5.2');
const keysOf = async (text: string) => {
  const parsed = parseDjangoKeyList('keys', text);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return importDjangoKeys(parsed.keys);
};
const authHashKeys = await keysOf(fixture.keys.DJANGO_AUTH_HASH_KEYS);

/** A real session of Django 5.2 and its user row, as the store would hand them over. */
async function realSession(id: string) {
  const c = fixture.cases.find((x) => x.id === id)!;
  const read = await readDjangoSession(c.value, {
    keys: await keysOf(fixture.keys.DJANGO_SIGNED_COOKIE_KEYS),
    allowedBackends: fixture.settings.AUTHENTICATION_BACKENDS,
    now: () => fixture.generatedAt * 1000,
  });
  if (!read.ok) throw new Error(`${id}: ${read.reason}`);
  return { session: read.user, user: c.user! };
}

describe('checkDjangoUser', () => {
  it("accepts Django's auth hash of the current password hash", async () => {
    const { session, user } = await realSession('signed_cookies:valid');
    expect(await checkDjangoUser(session, user, authHashKeys)).toEqual({ ok: true, authHashKey: 0 });
  });

  it('refuses an inactive user whatever the hash, and anything but a true is_active', async () => {
    const { session, user } = await realSession('signed_cookies:valid');
    for (const isActive of [false, 'true', 1, null] as unknown as boolean[]) {
      expect(await checkDjangoUser(session, { ...user, isActive }, authHashKeys)).toEqual({
        ok: false,
        stage: 'user',
        reason: 'inactive',
      });
    }
  });

  it('any change to the stored password hash logs the session out', async () => {
    const { session, user } = await realSession('signed_cookies:valid');
    for (const password of [
      `${user.password}x`,
      user.password.slice(0, -1),
      '',
      user.password.toUpperCase(),
    ]) {
      expect(await checkDjangoUser(session, { ...user, password }, authHashKeys)).toMatchObject({
        ok: false,
        reason: 'auth-hash-mismatch',
      });
    }
  });

  it('names a SHA-1 hash (before Django 3.1) and refuses it', async () => {
    const { session, user } = await realSession('signed_cookies:valid');
    const sha1 = { ...session, authHash: 'a'.repeat(40) };
    expect(await checkDjangoUser(sha1, user, authHashKeys)).toMatchObject({
      ok: false,
      reason: 'legacy-auth-hash',
    });
  });

  it('reports which key matched: a fallback means Django cycles the session key', async () => {
    const { session, user } = await realSession('signed_cookies:second-fallback-key');
    expect(await matchAuthHash(session.authHash!, user.password, authHashKeys)).toBe(2);
    expect(await matchAuthHash(session.authHash!, user.password, authHashKeys.slice(0, 2))).toBe(-1);
    expect(await matchAuthHash(session.authHash!.toUpperCase(), user.password, authHashKeys)).toBe(-1);
  });
});
