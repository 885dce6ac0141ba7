import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from './support/processes';

/**
 * `edge-auth django-keys` against what real Django printed: the fixtures'
 * `snippetOutput` is the manage.py snippet's output under Django 3.2, 4.2 and
 * 5.2 with the same SECRET_KEY and fallbacks (test/fixtures/django-sessions).
 */
const ROOT = resolve(import.meta.dirname, '..');
const run = (args: string[], options: { input?: string; env?: Record<string, string> } = {}) =>
  runCommand(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'cli/main.ts'), 'django-keys', ...args], {
    cwd: ROOT,
    env: { ...process.env, SECRET_KEY: '', SECRET_KEY_FALLBACKS: '', ...options.env },
    ...(options.input === undefined ? {} : { input: options.input }),
  });

interface Fixture {
  settings: { SECRET_KEY: string; SECRET_KEY_FALLBACKS?: string[] };
  snippetOutput: string;
}
const fixture = async (version: string) =>
  JSON.parse(
    await readFile(join(ROOT, `test/fixtures/django-sessions/django-${version}.json`), 'utf8'),
  ) as Fixture;

describe('edge-auth django-keys', () => {
  it.each(['3.2', '4.2', '5.2'])(
    'prints what Django %s derives, from stdin or the environment',
    async (version) => {
      const f = await fixture(version);
      const fallbacks = f.settings.SECRET_KEY_FALLBACKS ?? [];
      const fromStdin = await run(['--no-session-id'], {
        input: `${[f.settings.SECRET_KEY, ...fallbacks].join('\n')}\n`,
      });
      expect(fromStdin).toMatchObject({ code: 0, stderr: '' });
      expect(fromStdin.stdout.trim()).toBe(f.snippetOutput.trim());
      const fromEnv = await run(['--from-env', '--no-session-id'], {
        env: { SECRET_KEY: f.settings.SECRET_KEY, SECRET_KEY_FALLBACKS: JSON.stringify(fallbacks) },
      });
      expect(fromEnv.stdout).toBe(fromStdin.stdout);
    },
  );

  it('adds a fresh session-id key, prints wrangler commands that take each value on stdin, never takes a secret as a flag', async () => {
    const [a, b] = await Promise.all([run([], { input: 'k1\n' }), run([], { input: 'k1\n' })]);
    const idOf = (out: string) => /^DJANGO_SESSION_ID_KEY=([A-Za-z0-9_-]{43})$/m.exec(out)?.[1];
    expect(idOf(a.stdout)).toBeDefined();
    expect(idOf(a.stdout)).not.toBe(idOf(b.stdout));
    const wrangler = await run(['--wrangler', '--no-session-id'], { input: 'k1\n' });
    expect(wrangler.stdout.trim().split('\n')).toEqual(
      ['DJANGO_SESSION_KEYS', 'DJANGO_SIGNED_COOKIE_KEYS', 'DJANGO_AUTH_HASH_KEYS'].map((name) =>
        expect.stringMatching(
          new RegExp(`^printf '%s' '[A-Za-z0-9_-]{43}' \\| npx wrangler secret put ${name}$`),
        ),
      ),
    );
    const flag = await run(['--secret-key', 'k1']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).not.toContain('k1');
    expect(await run([], { input: '' })).toMatchObject({ code: 2, stdout: '' });
  });
});
