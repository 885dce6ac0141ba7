import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_SECRETS, isExampleSecret } from './example-secrets';

const ROOT = join(import.meta.dirname, '../..');

/** Files a user copies settings from: the example bindings, docs, recipes, examples. */
function shippedTexts(): string[] {
  const files = ['.dev.vars.example', 'README.md', 'wrangler.toml'];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(ROOT, dir))) {
      const path = join(dir, name);
      if (statSync(join(ROOT, path)).isDirectory()) walk(path);
      else if (/\.(md|toml|py|ts|example|conf)$|Caddyfile$/.test(name)) files.push(path);
    }
  };
  for (const dir of ['docs', 'examples']) walk(dir);
  return files.map((f) => readFileSync(join(ROOT, f), 'utf8'));
}

describe('example secrets', () => {
  it('every JWT_SECRET value written in a shipped file is refused', () => {
    // Literal values only: `"$YOUR_SECRET"` is the reader's own, not one of ours.
    const assigned = shippedTexts().flatMap((text) =>
      [...text.matchAll(/\bJWT_SECRET\s*[=:]\s*["']?([^\s"'`#$][^\s"'`#]{7,})/g)].map((m) => m[1] ?? ''),
    );
    expect(assigned.length).toBeGreaterThan(0);
    expect(assigned.filter((secret) => !isExampleSecret(secret))).toEqual([]);
  });

  it('refuses each listed secret, with or without surrounding spaces, and nothing else', () => {
    for (const secret of EXAMPLE_SECRETS) expect(isExampleSecret(` ${secret}\n`)).toBe(true);
    expect(isExampleSecret('a-random-secret-nobody-has-seen-before-1234')).toBe(false);
  });
});
