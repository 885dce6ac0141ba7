import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The documentation cannot rot silently: every relative link in README.md,
 * CONTRIBUTING.md, docs/ and the examples' READMEs resolves to a file (and, with `#anchor`, to one of
 * its headings, by GitHub's slug rules); every variable of `Env` is in
 * docs/configuration.md and every route of the Worker app in docs/http-api.md.
 * Names are read from the source at test time, so a new one fails here until
 * it is documented. Plain files only: no services, no Worker.
 */

const ROOT = resolve(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

function markdownFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

const EXAMPLE_READMES = readdirSync(join(ROOT, 'examples'))
  .map((dir) => join('examples', dir, 'README.md'))
  .filter((path) => existsSync(join(ROOT, path)));
const DOCUMENTS = ['README.md', 'CONTRIBUTING.md', ...markdownFiles('docs'), ...EXAMPLE_READMES];

/** The text outside fenced code blocks: a `[x](y)` or `# x` inside one is code, not markdown. */
function prose(markdown: string): string {
  let fence: string | undefined;
  return markdown
    .split('\n')
    .map((line) => {
      const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
      if (marker && (fence === undefined || marker.startsWith(fence))) {
        fence = fence === undefined ? marker : undefined;
        return '';
      }
      return fence === undefined ? line : '';
    })
    .join('\n');
}

/** GitHub's heading slug (github-slugger): lowercase, punctuation but `-` and `_` dropped, spaces → `-`. */
function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link's text only
    .replace(/<[^>]+>/g, '')
    .replace(/(\*\*|__)(.+?)\1/g, '$2'); // bold markers are markup, not text
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every heading anchor of a markdown file, duplicates numbered `-1`, `-2` as GitHub does. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const match of prose(markdown).matchAll(/^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$/gm)) {
    const base = slug(match[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Relative link targets of a markdown file: inline links, images and reference definitions. */
function linksOf(markdown: string): string[] {
  // Inline code may sit inside a link's text (`[`x`](y)`), never hold a real link.
  const text = prose(markdown).replace(/`[^`\n]*`/g, 'code');
  const inline = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
  const references = [...text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]!);
  return [...inline, ...references].filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** Why a link from `file` does not resolve, or undefined when it does. */
function brokenLink(file: string, target: string): string | undefined {
  const [path = '', anchor] = target.split('#', 2) as [string, string | undefined];
  const resolved = path === '' ? join(ROOT, file) : resolve(ROOT, dirname(file), decodeURI(path));
  if (!resolved.startsWith(ROOT) || !existsSync(resolved)) return `${target}: no such file`;
  if (anchor === undefined) return undefined;
  if (statSync(resolved).isDirectory() || !resolved.endsWith('.md'))
    return `${target}: anchor into a non-markdown file`;
  const anchors = anchorsOf(readFileSync(resolved, 'utf8'));
  return anchors.has(decodeURIComponent(anchor))
    ? undefined
    : `${target}: no heading #${anchor} in ${relative(ROOT, resolved)}`;
}

/** `NAME` as a whole word in code spans or prose (so `PUBLIC_PATHS` is not found inside `PUBLIC_PATHS_ALLOW_ALL`). */
function mentions(text: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w/.-])${escaped}(?![\\w/.-])`).test(text);
}

describe('documentation links', () => {
  it('finds the documents and their links (the checks below are not vacuous)', () => {
    expect(DOCUMENTS).toEqual(
      expect.arrayContaining(['README.md', 'CONTRIBUTING.md', 'docs/configuration.md']),
    );
    expect(linksOf(read('README.md')).length).toBeGreaterThan(10);
    expect(linksOf('[a](b.md#c) `[d](e)`\n```\n[f](g)\n```\n[h]: i.md\n[j](https://k)')).toEqual([
      'b.md#c',
      'i.md',
    ]);
    expect([...anchorsOf('# A `b` — c?\n## Put edge-auth in front\n# A b — c\n```\n# not\n```')]).toEqual([
      'a-b--c',
      'put-edge-auth-in-front',
      'a-b--c-1',
    ]);
  });

  it.each(DOCUMENTS)('every relative link in %s resolves to a file and heading', (file) => {
    const broken = linksOf(read(file)).flatMap((target) => brokenLink(file, target) ?? []);
    expect(broken).toEqual([]);
  });
});

describe('reference completeness', () => {
  it('every configuration variable of Env is documented in docs/configuration.md', () => {
    const body = /export interface Env \{([\s\S]*?)\n\}/.exec(read('src/env.ts'))?.[1] ?? '';
    const names = [...body.matchAll(/^\s*([A-Z][A-Z0-9_]*)\??:/gm)].map((m) => m[1]!);
    expect(names).toEqual(expect.arrayContaining(['JWT_SECRET', 'ORIGIN_URL']));
    const doc = read('docs/configuration.md');
    expect(names.filter((name) => !mentions(doc, name))).toEqual([]);
  });

  it('every route of the Worker app is documented in docs/http-api.md', async () => {
    // The route table the app registers its endpoints from (src/worker/routes.ts).
    const { ROUTES } = await import('../src/worker/routes');
    const routes = Object.values(ROUTES);
    expect(routes).toEqual(expect.arrayContaining(['/readyz', '/auth/logout']));
    expect(read('src/worker/app.ts')).not.toMatch(/app\.(?:get|post|all)\(\s*'\/(?!auth\/\*)/);
    const doc = read('docs/http-api.md');
    expect(routes.filter((route) => !mentions(doc, route))).toEqual([]);
  });
});
