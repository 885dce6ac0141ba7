import { describe, expect, it } from 'vitest';
import { baseEnv } from '../../test/support/memory-app';
import { ConfigError } from '../errors';
import { parseConfig } from '.';
import { DEFAULT_USERS_TABLE, isTableName, parseUsersTable } from './database';

const parse = (vars: Record<string, string>) => {
  const problems: string[] = [];
  const users = parseUsersTable((name) => vars[name], problems);
  return { users, problems };
};

describe('parseUsersTable', () => {
  it("defaults to edge-auth's own users table", () => {
    expect(parse({})).toEqual({ users: DEFAULT_USERS_TABLE, problems: [] });
    expect(DEFAULT_USERS_TABLE).toEqual({ table: 'users', idType: 'text', touchColumn: 'last_login' });
  });

  it("reads Django's auth_user with integer ids, a schema-qualified name and another touch column", () => {
    expect(parse({ USERS_TABLE: 'auth_user', USER_ID_TYPE: 'integer' }).users).toEqual({
      table: 'auth_user',
      idType: 'integer',
      touchColumn: 'last_login',
    });
    expect(parse({ USERS_TABLE: 'app.Users', USER_ID_TYPE: 'BIGINT', TOUCH_COLUMN: 'last_seen' })).toEqual({
      users: { table: 'app.Users', idType: 'bigint', touchColumn: 'last_seen' },
      problems: [],
    });
  });

  it('refuses anything but plain identifiers, naming the variable and never echoing the value', () => {
    for (const table of [
      'users; DROP TABLE x',
      '"users"',
      'a.b.c',
      '.users',
      'users.',
      '1users',
      'auth-user',
      'usérs',
      'x'.repeat(64),
    ]) {
      expect(isTableName(table)).toBe(false);
    }
    const { users, problems } = parse({
      USERS_TABLE: 'users"; DROP TABLE sessions; --',
      USER_ID_TYPE: 'uuid',
      TOUCH_COLUMN: 'last_login = now(), is_superuser',
    });
    expect(problems).toEqual([
      'USERS_TABLE must be a table name ([A-Za-z_][A-Za-z0-9_]*, at most 63 characters), optionally schema-qualified (schema.table)',
      'USER_ID_TYPE must be "text", "integer" or "bigint"',
      'TOUCH_COLUMN must be a column name ([A-Za-z_][A-Za-z0-9_]*, at most 63 characters)',
    ]);
    expect(problems.join('\n')).not.toMatch(/DROP|uuid|is_superuser/);
    expect(users).toEqual(DEFAULT_USERS_TABLE);
  });

  it('is part of parseConfig: reported in the one ConfigError with every other problem', () => {
    expect(
      parseConfig(baseEnv({ USERS_TABLE: 'auth_user', USER_ID_TYPE: 'integer' })).database.users,
    ).toEqual({
      table: 'auth_user',
      idType: 'integer',
      touchColumn: 'last_login',
    });
    expect(parseConfig(baseEnv()).database.users).toEqual(DEFAULT_USERS_TABLE);
    try {
      parseConfig(baseEnv({ USERS_TABLE: 'a.b.c', TOUCH_COLUMN: 'x y', SESSION_COOKIE: 'bad cookie' }));
      expect.unreachable('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual([
        'USERS_TABLE must be a table name ([A-Za-z_][A-Za-z0-9_]*, at most 63 characters), optionally schema-qualified (schema.table)',
        'TOUCH_COLUMN must be a column name ([A-Za-z_][A-Za-z0-9_]*, at most 63 characters)',
        'SESSION_COOKIE must be a valid cookie name',
      ]);
    }
  });
});
