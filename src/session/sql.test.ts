import { describe, expect, it } from 'vitest';
import { isUserIdOf, quoteIdentifier, quoteTableName, sessionSql } from './sql';

describe('sessionSql', () => {
  it("keeps edge-auth's own schema, with the id parameter typed as the column", () => {
    const sql = sessionSql();
    expect(sql.load).toContain('FROM sessions s JOIN "users" u ON u.id = s.user_id');
    expect(sql.load).toContain('u.id::text AS user_id');
    expect(sql.touch).toBe(
      'UPDATE "users" SET "last_login" = now() WHERE id = $1::text AND ("last_login" IS NULL OR "last_login" < now() - make_interval(secs => $2))',
    );
    expect(sql.revoke).toBe(
      'UPDATE sessions SET revoked_at = now() WHERE id = $1 AND user_id = $2::text AND revoked_at IS NULL AND expires_at > now()',
    );
  });

  it("compares Django's integer ids on the index (never id::text = $1) and touches the configured column", () => {
    const sql = sessionSql({ table: 'app.auth_user', idType: 'integer', touchColumn: 'last_seen' });
    expect(sql.load).toContain('JOIN "app"."auth_user" u ON u.id = s.user_id');
    expect(sql.load).toContain("NULLIF(u.email, '') AS email");
    expect(sql.touch).toBe(
      'UPDATE "app"."auth_user" SET "last_seen" = now() WHERE id = $1::integer AND ("last_seen" IS NULL OR "last_seen" < now() - make_interval(secs => $2))',
    );
    expect(sql.revoke).toContain('user_id = $2::integer');
    for (const text of Object.values(sql)) expect(text).not.toMatch(/id::text\s*=/);
  });

  it('never quotes a name that is not a plain identifier', () => {
    expect(quoteIdentifier('last_login')).toBe('"last_login"');
    expect(quoteTableName('auth_user')).toBe('"auth_user"');
    expect(() => quoteIdentifier('a"b')).toThrow(TypeError);
    expect(() => quoteTableName('x"; DROP TABLE users; --')).toThrow(TypeError);
    expect(() => sessionSql({ table: 'users', idType: 'text', touchColumn: 'x = 1' })).toThrow(TypeError);
  });
});

describe('isUserIdOf', () => {
  it('accepts any text id', () => {
    expect(isUserIdOf('text', 'abc')).toBe(true);
    expect(isUserIdOf('text', '42')).toBe(true);
  });

  it('accepts canonical integers in range only', () => {
    for (const ok of ['0', '42', '-7', '2147483647', '-2147483648'])
      expect(isUserIdOf('integer', ok)).toBe(true);
    for (const bad of [
      'abc',
      '1.5',
      '1e3',
      '042',
      '+42',
      ' 42',
      '42 ',
      '-0',
      '',
      '2147483648',
      '-2147483649',
    ]) {
      expect(isUserIdOf('integer', bad), bad).toBe(false);
    }
    expect(isUserIdOf('bigint', '2147483648')).toBe(true);
    expect(isUserIdOf('bigint', '9223372036854775807')).toBe(true);
    expect(isUserIdOf('bigint', '9223372036854775808')).toBe(false);
    expect(isUserIdOf('bigint', '-9223372036854775808')).toBe(true);
    expect(isUserIdOf('bigint', '99999999999999999999')).toBe(false);
  });
});
