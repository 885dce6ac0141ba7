// The exports of the package's entries, read from src/ without a compiler:
// entries from package.json `exports`, re-exports followed to the declaring
// files, each declaration with its TSDoc and its signature (bodies removed).
// Written for this codebase's style: `export function|class|interface|type|const`,
// `export { … } from`, `export default`. Used by scripts/api-docs.ts.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DocComment, parseDocComment } from './tsdoc';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');

export type Kind = 'function' | 'class' | 'interface' | 'type' | 'const' | 'default';

/** One exported name of an entry, as declared. */
export interface ApiExport {
  name: string;
  kind: Kind;
  /** Declaring file, relative to the repository. */
  file: string;
  /** The declaration without bodies (functions, methods). */
  signature: string;
  doc: DocComment | undefined;
}

/** A package entry: `edge-auth/hono` ← src/hono/index.ts, its page and exports. */
export interface ApiEntry {
  specifier: string;
  source: string;
  page: string;
  doc: DocComment | undefined;
  exports: ApiExport[];
}

/**
 * Every entry of package.json `exports` with its exports, read from the
 * sources its declarations (`./dist/hono/index.d.ts`) are built from.
 *
 * @example
 * apiEntries().map((e) => e.specifier) // ['edge-auth', 'edge-auth/hono', …]
 */
export function apiEntries(root = ROOT): ApiEntry[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    name: string;
    exports: Record<string, string | { types?: string }>;
  };
  return Object.entries(pkg.exports).flatMap(([subpath, target]) => {
    const types = typeof target === 'string' ? undefined : target.types;
    if (types === undefined) return []; // ./package.json
    const source = types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts');
    if (!existsSync(join(root, source))) throw new Error(`${subpath}: no source ${source} for ${types}`);
    const specifier = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
    const text = readFileSync(join(root, source), 'utf8');
    const head = /^\s*(\/\*\*[\s\S]*?\*\/)/.exec(text)?.[1];
    const page = `${subpath === '.' ? pkg.name : subpath.slice(2)}.md`;
    return [
      {
        specifier,
        source,
        page,
        doc: head === undefined ? undefined : parseDocComment(head),
        exports: exportsOf(root, source),
      },
    ];
  });
}

/** The exports of an entry file: its re-exports followed to their declarations, then its own. */
function exportsOf(root: string, file: string): ApiExport[] {
  const text = readFileSync(join(root, file), 'utf8');
  if (/^export \*/m.test(text)) throw new Error(`${file}: "export *" is not supported, name the exports`);
  const found: ApiExport[] = [];
  for (const [, names = '', from = ''] of text.matchAll(/^export (?:type )?\{([^}]*)\} from '([^']+)';/gm)) {
    const target = moduleFile(root, file, from);
    for (const item of names.split(',').map((n) => n.trim().replace(/^type /, ''))) {
      if (item === '') continue;
      const [original, alias = original] = item.split(/\s+as\s+/) as [string, string?];
      found.push({ ...declaration(root, target, original), name: alias });
    }
  }
  for (const [, name] of text.matchAll(
    /^export (?:declare )?(?:async )?(?:abstract )?(?:function|class|interface|type|const) (\w+)/gm,
  ))
    found.push(declaration(root, file, name!));
  if (/^export default /m.test(text)) found.push(declaration(root, file, 'default'));
  return found;
}

const DECLARATION = (name: string) =>
  name === 'default'
    ? /^export (default) /m
    : new RegExp(
        `^export (?:declare )?(?:async )?(?:abstract )?(function|class|interface|type|const) ${name}\\b`,
        'm',
      );

/** Where `name` is declared, following `export { name } from` and `import { name }` chains. */
function declaration(root: string, file: string, name: string, depth = 0): ApiExport {
  if (depth > 10) throw new Error(`${file}: ${name} re-exported in a loop`);
  const text = readFileSync(join(root, file), 'utf8');
  const match = DECLARATION(name).exec(text);
  if (match) {
    const before = text.slice(0, match.index).trimEnd();
    const start = before.lastIndexOf('/**');
    // A comment that opens the file is the file's, not its first declaration's.
    const ownComment = before.endsWith('*/') && before.slice(0, start).trim() !== '';
    const comment = ownComment ? before.slice(start) : undefined;
    const kind = match[1] as Kind;
    return {
      name,
      kind,
      file,
      signature: signature(text.slice(match.index), kind),
      doc: comment === undefined ? undefined : parseDocComment(comment),
    };
  }
  const listed = new RegExp(
    `^(?:export|import) (?:type )?\\{[^}]*\\b${name}\\b[^}]*\\} from '([^']+)';`,
    'm',
  );
  const from = listed.exec(text)?.[1];
  if (from === undefined) throw new Error(`${file}: cannot find the declaration of ${name}`);
  return declaration(root, moduleFile(root, file, from), name, depth + 1);
}

function moduleFile(root: string, file: string, specifier: string): string {
  const base = join(dirname(file), specifier);
  const candidate = [`${base}.ts`, join(base, 'index.ts')].find((path) => existsSync(join(root, path)));
  if (!candidate) throw new Error(`${file}: cannot resolve '${specifier}'`);
  return candidate;
}

/**
 * The declaration at the start of `text`, bodies removed: a function ends
 * with its signature; a class or an object keeps its members, methods as
 * signatures; an interface or a type is whole. Strings and comments are
 * skipped when counting brackets, so a `{` in a comment does not count.
 */
function signature(text: string, kind: Kind): string {
  const hasMembers = kind === 'class' || kind === 'const' || kind === 'default';
  const endsAtBrace = kind === 'class' || kind === 'interface';
  let out = '';
  let depth = 0; // (), [] and {} together
  let parens = 0;
  let cut: number | undefined; // depth of a method body being dropped
  for (let i = 0; i < text.length; i++) {
    const skip = skipped(text, i);
    if (skip > i) {
      if (cut === undefined) out += text.slice(i, skip);
      i = skip - 1;
      continue;
    }
    const ch = text[i]!;
    // A body follows a parameter list and its return type (`): T {`), never a `:` or `=`.
    const afterSignature = /\)(\s*:[^=;{]*?[\w\]>)}])?\s+$/.test(out);
    if (ch === '{' && cut === undefined && parens === 0 && afterSignature) {
      if (kind === 'function' && depth === 0) return out.trimEnd();
      if (hasMembers && depth === 1) cut = depth;
    }
    if ('([{'.includes(ch)) depth++;
    if (')]}'.includes(ch)) depth--;
    if (ch === '(') parens++;
    if (ch === ')') parens--;
    if (cut === undefined) out += ch;
    else if (ch === '}' && depth === cut) {
      cut = undefined;
      out = out.trimEnd() + (/^\s*[,;]/.test(text.slice(i + 1)) ? '' : ';');
    }
    if (depth === 0 && (ch === ';' || (ch === '}' && endsAtBrace))) return out;
  }
  throw new Error(`unterminated declaration: ${text.slice(0, 60)}`);
}

/** The index just past a string or comment starting at `i`, or `i` when none starts there. */
function skipped(text: string, i: number): number {
  const two = text.slice(i, i + 2);
  if (two === '//') return text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i);
  if (two === '/*') return text.includes('*/', i + 2) ? text.indexOf('*/', i + 2) + 2 : text.length;
  const quote = text[i]!;
  if (quote !== "'" && quote !== '"' && quote !== '`') return i;
  let j = i + 1;
  while (j < text.length && text[j] !== quote) j += text[j] === '\\' ? 2 : 1;
  return j + 1;
}
