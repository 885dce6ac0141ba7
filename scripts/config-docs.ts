// `npm run docs`: rewrites the variable tables of docs/configuration.md from
// src/env.ts (sections, meanings, `@defaultValue`) and src/config/defaults.ts
// (defaults and ranges), so no default is written twice. `--check` writes
// nothing and exits 1 when the file is stale.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NUMBERS, TEXTS } from '../src/config/defaults';
import { oneLine, parseDocComment, tagOf, writeGenerated } from './tsdoc';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
export const CONFIG_DOC = 'docs/configuration.md';
export const ENV_SOURCE = 'src/env.ts';

/** One string member of `Env`: a variable, in the section its `// Title` line opened. */
export interface Variable {
  name: string;
  section: string;
  meaning: string;
  /** `@defaultValue`, for a variable without a default in defaults.ts. */
  documentedDefault: string | undefined;
}

/**
 * The variables of `Env` in src/env.ts, in order. Members that are not strings
 * (bindings such as `ANALYTICS`) are left out: they have no default.
 *
 * @example
 * envVariables(readFileSync('src/env.ts', 'utf8'))[0]
 * // { name: 'UPSTASH_REDIS_REST_URL', section: 'Services', meaning: 'Upstash **REST** URL …', documentedDefault: 'required' }
 */
export function envVariables(source: string): Variable[] {
  const body = /export interface Env \{([\s\S]*?)\n\}/.exec(source)?.[1];
  if (body === undefined) throw new Error(`${ENV_SOURCE}: no "export interface Env"`);
  // A section line, a documented member, or (an error) a member without a comment.
  const member =
    /^[ \t]*\/\/ ([^\n]+)$|(\/\*\*(?:(?!\*\/)[\s\S])*\*\/)\s*([A-Z][A-Z0-9_]*)\??: ([^;]+);|^[ \t]*([A-Z][A-Z0-9_]*)\??:/gm;
  const variables: Variable[] = [];
  let section: string | undefined;
  for (const [, title, comment, name, type, bare] of body.matchAll(member)) {
    if (bare !== undefined) throw new Error(`${ENV_SOURCE}: ${bare} has no doc comment (its meaning)`);
    if (title !== undefined) section = title.trim();
    else if (type === 'string') {
      if (section === undefined) throw new Error(`${ENV_SOURCE}: ${name} comes before any "// Section" line`);
      const doc = parseDocComment(comment!);
      const meaning = oneLine(doc.summary).replaceAll('](../docs/', '](');
      variables.push({ name: name!, section, meaning, documentedDefault: tagOf(doc, 'defaultValue') });
    }
  }
  return variables;
}

/**
 * A range of defaults.ts, with the unit its name ends with.
 *
 * @example
 * rangeOf('REDIS_TIMEOUT_MS') // '50–30,000 ms'
 * rangeOf('TOUCH_INTERVAL_SECONDS') // '1 s – 30 days'
 */
export function rangeOf(name: keyof typeof NUMBERS): string {
  const { min, max } = NUMBERS[name];
  const unit = name.endsWith('_SECONDS') ? 's' : name.endsWith('_MS') ? 'ms' : '';
  const number = (n: number) => n.toLocaleString('en-US');
  if (unit === 's' && max >= 86_400 && max % 86_400 === 0)
    return `${number(min)} s – ${number(max / 86_400)} days`;
  return `${number(min)}–${number(max)}${unit ? ` ${unit}` : ''}`;
}

/**
 * The markdown table of one section. A variable's default comes from
 * defaults.ts when it has one there (then `@defaultValue` is refused: one
 * home), else from `@defaultValue` (then it is required).
 *
 * @example
 * sectionTable(envVariables(source), 'Tokens') // '| variable | default | range | meaning |\n| --- | …'
 */
export function sectionTable(variables: Variable[], section: string): string {
  const rows = variables.filter((v) => v.section === section);
  const withRange = rows.some((v) => v.name in NUMBERS);
  const cells = rows.map((v) => {
    const known = knownDefault(v.name);
    if (known !== undefined && v.documentedDefault !== undefined)
      throw new Error(`${v.name}: its default lives in src/config/defaults.ts, drop its @defaultValue`);
    if (known === undefined && v.documentedDefault === undefined)
      throw new Error(
        `${v.name}: no default in src/config/defaults.ts and no @defaultValue in ${ENV_SOURCE}`,
      );
    const range = v.name in NUMBERS ? rangeOf(v.name as keyof typeof NUMBERS) : '';
    const row = [`\`${v.name}\``, known ?? v.documentedDefault!, ...(withRange ? [range] : []), v.meaning];
    return `| ${row.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  });
  const header = ['variable', 'default', ...(withRange ? ['range'] : []), 'meaning'];
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...cells].join('\n');
}

/**
 * docs/configuration.md with every table between `<!-- env:Title -->` and
 * `<!-- /env:Title -->` regenerated. Every section of `Env` with variables
 * needs its markers, and every marker a section.
 *
 * @example
 * renderConfigDoc(readFileSync('docs/configuration.md', 'utf8'), readFileSync('src/env.ts', 'utf8'))
 */
export function renderConfigDoc(markdown: string, envSource: string): string {
  const variables = envVariables(envSource);
  const sections = [...new Set(variables.map((v) => v.section))];
  const seen = new Set<string>();
  const rendered = markdown.replace(
    /(<!-- env:(.+?) -->\n)[\s\S]*?(<!-- \/env:\2 -->)/g,
    (_, open: string, section: string, close: string) => {
      if (!sections.includes(section))
        throw new Error(`${CONFIG_DOC}: no section "${section}" in ${ENV_SOURCE}`);
      seen.add(section);
      return `${open}${sectionTable(variables, section)}\n${close}`;
    },
  );
  const missing = sections.filter((s) => !seen.has(s));
  if (missing.length > 0)
    throw new Error(
      `${CONFIG_DOC}: no <!-- env:… --> markers for ${missing.map((s) => `"${s}"`).join(', ')}`,
    );
  return rendered;
}

function knownDefault(name: string): string | undefined {
  if (name in NUMBERS) return `\`${NUMBERS[name as keyof typeof NUMBERS].default}\``;
  if (name in TEXTS) return `\`${TEXTS[name as keyof typeof TEXTS]}\``;
  return undefined;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
  const fresh = renderConfigDoc(read(CONFIG_DOC), read(ENV_SOURCE));
  const check = process.argv.includes('--check');
  if (!writeGenerated(join(ROOT, CONFIG_DOC), fresh, check) && check) process.exitCode = 1;
}
