import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DEFAULT_USERS_TABLE } from '../src/config/database';
import { renderMigration } from './migrate';

const INIT = new URL('../migrations/0001_init.sql', import.meta.url);
const DJANGO = { table: 'auth_user', idType: 'integer', touchColumn: 'last_login' } as const;

describe('renderMigration', () => {
  it("creates edge-auth's own users table by default, exactly as before (text ids)", async () => {
    const sql = renderMigration(await readFile(INIT, 'utf8'), DEFAULT_USERS_TABLE, {
      createUsersTable: true,
    });
    expect(sql).toContain('CREATE TABLE "users" (\n  id            text PRIMARY KEY,');
    expect(sql).toContain('user_id     text NOT NULL REFERENCES "users"(id) ON DELETE CASCADE');
    expect(sql).not.toMatch(/\{\{|edge-auth:(if|end)/);
  });

  it("only references an existing table (Django's auth_user) with the matching id type", async () => {
    const sql = renderMigration(await readFile(INIT, 'utf8'), DJANGO, { createUsersTable: false });
    expect(sql).not.toMatch(/CREATE TABLE "auth_user"/);
    expect(sql).toContain('user_id     integer NOT NULL REFERENCES "auth_user"(id) ON DELETE CASCADE');
    expect(sql).toContain('CREATE TABLE sessions (');
  });

  it('refuses unknown placeholders, unknown flags and unbalanced blocks', () => {
    const flags = { createUsersTable: true };
    expect(() => renderMigration('SELECT {{users_tabel}};', DJANGO, flags)).toThrow(
      /placeholder \{\{users_tabel\}\}/,
    );
    expect(() =>
      renderMigration('-- edge-auth:if nope\nSELECT 1;\n-- edge-auth:end\n', DJANGO, flags),
    ).toThrow(/unknown migration flag nope/);
    expect(() => renderMigration('-- edge-auth:if create_users_table\nSELECT 1;\n', DJANGO, flags)).toThrow(
      /unbalanced/,
    );
  });
});
