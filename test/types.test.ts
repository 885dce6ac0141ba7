import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Env } from '../src/env';

/**
 * wrangler.toml and src/env.ts cannot drift apart: `wrangler types` writes the
 * bindings and `[vars]` wrangler.toml declares to worker-configuration.d.ts
 * (`npm run types`), and every one of them must be a documented member of
 * `Env`, with a compatible type.
 */

const ROOT = resolve(import.meta.dirname, '..');
const GENERATED = 'worker-configuration.d.ts';

// Checked by `npm run typecheck` (tsc over test/), which `npm test` runs first:
// an undocumented name fails to compile here with the name in the message
// ("Type '"none"' is not assignable to type '"NEW_VAR"'").
type Undocumented = Exclude<keyof Cloudflare.Env | keyof Cloudflare.ProductionEnv, keyof Env>;
const undocumented: [Undocumented] extends [never] ? 'none' : Undocumented = 'none';
// …and a binding's type must be what Env says (a KV namespace is not a string).
expectTypeOf<Cloudflare.Env>().toExtend<Env>();
expectTypeOf<Cloudflare.ProductionEnv>().toExtend<Env>();

/** Member names of an interface body in TypeScript source (`NAME:` or `NAME?:` at the start of a line). */
function members(source: string, pattern: RegExp): string[] {
  const body = pattern.exec(source)?.[1] ?? '';
  return [...body.matchAll(/^\s*([A-Z][A-Z0-9_]*)\??:/gm)].map((m) => m[1]!);
}

describe('wrangler types', () => {
  it('every binding and [vars] name of wrangler.toml is a member of Env', async () => {
    const generated = await readFile(join(ROOT, GENERATED), 'utf8');
    const env = members(
      await readFile(join(ROOT, 'src/env.ts'), 'utf8'),
      /export interface Env \{([\s\S]*?)\n\}/,
    );
    const declared = [
      ...members(generated, /interface Env \{([\s\S]*?)\n\s*\}/),
      ...members(generated, /interface ProductionEnv \{([\s\S]*?)\n\s*\}/),
    ];
    expect(declared).toContain('SESSION_CACHE_TTL_SECONDS');
    expect(declared.filter((name) => !env.includes(name))).toEqual([]);
    expect(undocumented).toBe('none');
  });

  it(`regenerating ${GENERATED} gives the committed file`, async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const [generate, format] = pkg.scripts.types!.split(' && ');
    expect(generate).toMatch(/^wrangler types /);
    expect(format).toBe(`biome format --write ${GENERATED}`);

    // Same configuration and main module, in a directory of its own (no .dev.vars, no stale output).
    const dir = await mkdtemp(join(tmpdir(), 'edge-auth-types-'));
    try {
      await copyFile(join(ROOT, 'wrangler.toml'), join(dir, 'wrangler.toml'));
      await symlink(join(ROOT, 'src'), join(dir, 'src'));
      const env = {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        CI: 'true',
        CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      };
      const args = generate!.split(' ').slice(1);
      await promisify(execFile)(join(ROOT, 'node_modules/.bin/wrangler'), args, { cwd: dir, env });
      await promisify(execFile)(
        join(ROOT, 'node_modules/.bin/biome'),
        ['format', '--write', join(dir, GENERATED)],
        {
          cwd: ROOT,
          env,
        },
      );
      const fresh = await readFile(join(dir, GENERATED), 'utf8');
      expect(fresh, 'worker-configuration.d.ts is stale: run `npm run types`').toBe(
        await readFile(join(ROOT, GENERATED), 'utf8'),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
