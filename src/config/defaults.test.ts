import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_DOC, ENV_SOURCE, renderConfigDoc } from '../../scripts/config-docs';
import { COMPATIBILITY_DATE, NUMBERS, TEXTS } from './defaults';

/**
 * defaults.ts is the one home of every default, bound and the compatibility
 * date; the files that repeat them for people (wrangler.toml, the example's
 * wrangler.toml, .dev.vars.example, docs/configuration.md) must agree with it.
 * Each check returns its disagreements, so a failure names the file and value.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Every default of defaults.ts as its environment string. */
const DEFAULTS: Record<string, string> = {
  ...Object.fromEntries(Object.entries(NUMBERS).map(([name, n]) => [name, String(n.default)])),
  ...TEXTS,
};

/** `NAME = "value"` lines of one TOML table (`[vars]`), up to the next table header. */
function tomlTable(toml: string, header: string): Record<string, string> {
  const lines = toml.split('\n');
  const start = lines.findIndex((line) => line.trim() === `[${header}]`);
  if (start < 0) return {};
  const end = lines.findIndex((line, i) => i > start && /^\s*\[/.test(line));
  const entries = lines.slice(start + 1, end < 0 ? undefined : end).flatMap((line) => {
    const match = /^\s*([A-Z][A-Z0-9_]*)\s*=\s*"([^"]*)"\s*$/.exec(line);
    return match ? [[match[1]!, match[2]!] as const] : [];
  });
  return Object.fromEntries(entries);
}

/** A `[vars]` table's values that are not defaults.ts's (every name there must have one). */
function varsDisagreements(file: string, toml: string, header: string): string[] {
  return Object.entries(tomlTable(toml, header)).flatMap(([name, value]) => {
    if (!(name in DEFAULTS)) return [`${file} [${header}] ${name}: no default in defaults.ts`];
    return value === DEFAULTS[name]
      ? []
      : [`${file} [${header}] ${name} = "${value}", default "${DEFAULTS[name]}"`];
  });
}

/** `compatibility_date` of a wrangler config, when it names one. */
const compatibilityDate = (toml: string) => /^compatibility_date\s*=\s*"([^"]*)"/m.exec(toml)?.[1];

/** Every TOML file of the repository (the Worker's, the examples', the benchmark Workers'). */
function tomlFiles(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return ['node_modules', '.git', 'dist'].includes(entry.name) ? [] : tomlFiles(path);
    return entry.name.endsWith('.toml') ? [relative(ROOT, path)] : [];
  });
}

/**
 * .dev.vars.example writes each default as `NAME=value` or `# NAME=value`,
 * once and with the default; a range in the prose just above (`(50-30000)`,
 * `at most 300`) is defaults.ts's.
 */
function devVarsDisagreements(text: string): string[] {
  const lines = text.split('\n');
  const assignment = (line: string) => /^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
  const problems: string[] = [];
  for (const name of Object.keys(DEFAULTS)) {
    const at = lines.flatMap((line, i) => (assignment(line)?.[1] === name ? [i] : []));
    const values = at.map((i) => assignment(lines[i]!)![2]!);
    if (values.length !== 1 || values[0] !== DEFAULTS[name])
      problems.push(`.dev.vars.example ${name}: [${values.join(', ')}], default "${DEFAULTS[name]}" once`);
    if (!(name in NUMBERS) || at.length === 0) continue;
    const { min, max } = NUMBERS[name as keyof typeof NUMBERS];
    for (let i = at[0]! - 1; i >= 0 && lines[i]!.startsWith('#') && !assignment(lines[i]!); i--) {
      for (const [range, from, to] of lines[i]!.matchAll(/(\d+)-(\d+)/g))
        if (Number(from) !== min || Number(to) !== max)
          problems.push(`.dev.vars.example ${name}: ${range}, range ${min}-${max}`);
      for (const [said, most] of lines[i]!.matchAll(/at most (\d+)/g))
        if (Number(most) !== max) problems.push(`.dev.vars.example ${name}: "${said}", max ${max}`);
    }
  }
  return problems;
}

describe('defaults written outside defaults.ts', () => {
  it('every [vars] table of every wrangler config holds the defaults', () => {
    const wrangler = read('wrangler.toml');
    expect(Object.keys(tomlTable(wrangler, 'vars'))).toContain('SESSION_CACHE_TTL_SECONDS');
    expect(Object.keys(tomlTable(wrangler, 'env.production.vars'))).toContain('SESSION_CACHE_TTL_SECONDS');
    const problems = tomlFiles().flatMap((file) => {
      const toml = read(file);
      const tables = [...toml.matchAll(/^\[((?:env\.[\w-]+\.)?vars)\]\s*$/gm)].map((m) => m[1]!);
      return tables.flatMap((table) => varsDisagreements(file, toml, table));
    });
    expect(problems).toEqual([]);
  });

  it('every wrangler config is on COMPATIBILITY_DATE', () => {
    const dated = Object.fromEntries(
      tomlFiles().flatMap((file) => {
        const date = compatibilityDate(read(file));
        return date === undefined ? [] : [[file, date]];
      }),
    );
    expect(Object.keys(dated)).toEqual(
      expect.arrayContaining(['wrangler.toml', 'examples/hono-app/wrangler.toml']),
    );
    expect(Object.entries(dated).filter(([, date]) => date !== COMPATIBILITY_DATE)).toEqual([]);
  });

  it('.dev.vars.example writes every default once, with its range', () => {
    expect(devVarsDisagreements(read('.dev.vars.example'))).toEqual([]);
  });

  it(`${CONFIG_DOC}: the tables are what \`npm run docs\` generates from ${ENV_SOURCE} and defaults.ts`, () => {
    const doc = read(CONFIG_DOC);
    expect(doc, `${CONFIG_DOC} is stale: run \`npm run docs\``).toBe(renderConfigDoc(doc, read(ENV_SOURCE)));
    expect(doc).toContain('| `REDIS_TIMEOUT_MS` | `1000` | 50–30,000 ms |');
  });
});

describe('the checks see a changed value', () => {
  it('a [vars] value, a compatibility date, a .dev.vars.example default or range, a table cell', () => {
    const toml = read('wrangler.toml');
    expect(
      varsDisagreements(
        'w',
        toml.replace('TOUCH_INTERVAL_SECONDS = "300"', 'TOUCH_INTERVAL_SECONDS = "301"'),
        'vars',
      ),
    ).toEqual(['w [vars] TOUCH_INTERVAL_SECONDS = "301", default "300"']);
    expect(compatibilityDate(toml.replace(COMPATIBILITY_DATE, '2026-01-01'))).toBe('2026-01-01');
    const vars = read('.dev.vars.example');
    expect(devVarsDisagreements(vars.replace('REDIS_TIMEOUT_MS=1000', 'REDIS_TIMEOUT_MS=999'))).toEqual([
      '.dev.vars.example REDIS_TIMEOUT_MS: [999], default "1000" once',
    ]);
    expect(devVarsDisagreements(vars.replace('(50-30000)', '(50-3000)'))).toEqual([
      '.dev.vars.example REDIS_TIMEOUT_MS: 50-3000, range 50-30000',
    ]);
    const doc = read(CONFIG_DOC);
    const edited = doc.replace('| `SESSION_COOKIE` | `session` |', '| `SESSION_COOKIE` | `sid` |');
    expect(edited).not.toBe(doc);
    expect(renderConfigDoc(edited, read(ENV_SOURCE))).toBe(doc);
  });
});
