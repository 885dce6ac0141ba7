import { readFileSync, writeFileSync } from 'node:fs';

/** A TSDoc comment taken apart: the summary and its block tags, text as written. */
export interface DocComment {
  summary: string;
  tags: { name: string; text: string }[];
}

/**
 * Splits a `/** … *\/` comment into its summary and block tags. A tag starts a
 * line (`@example`), or, in a one-line comment, follows a space
 * (`/** meaning @defaultValue none *\/`). Lines keep their indentation relative
 * to the comment's `*`, so an example's code stays as written.
 *
 * @example
 * parseDocComment('/** Says hi.\n * @example\n * hi() // "hi"\n *\/')
 * // { summary: 'Says hi.', tags: [{ name: 'example', text: 'hi() // "hi"' }] }
 */
export function parseDocComment(comment: string): DocComment {
  const body = comment.replace(/^\s*\/\*\*/, '').replace(/\*\/\s*$/, '');
  const lines = body.split('\n').map((line, i) => (i === 0 ? line : line.replace(/^\s*\* ?/, '')));
  const oneLine = lines.length === 1;
  const parts: { name: string; lines: string[] }[] = [{ name: '', lines: [] }];
  for (const line of lines) {
    const pieces = oneLine ? line.split(/\s(?=@[a-zA-Z]+\b)/) : [line];
    for (const piece of pieces) {
      const tag = /^\s*@([a-zA-Z]+)\b ?(.*)$/.exec(piece);
      if (tag) parts.push({ name: tag[1]!, lines: tag[2] ? [tag[2]] : [] });
      else parts.at(-1)!.lines.push(piece);
    }
  }
  const text = (part: { lines: string[] }) => trimLines(part.lines).join('\n');
  return {
    summary: text(parts[0]!),
    tags: parts.slice(1).map((part) => ({ name: part.name, text: text(part) })),
  };
}

/**
 * The text of the first tag of that name, or undefined.
 *
 * @example
 * tagOf(parseDocComment('/** A cookie name. @defaultValue `session` *\/'), 'defaultValue') // '`session`'
 */
export function tagOf(doc: DocComment, name: string): string | undefined {
  return doc.tags.find((tag) => tag.name === name)?.text;
}

/**
 * Collapses a comment's text to one line (a table cell, a summary paragraph).
 *
 * @example
 * oneLine('the users table,\n  `auth_user` for Django') // 'the users table, `auth_user` for Django'
 */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Writes a generated file, or with `--check` only reports it stale; returns
 * whether the file on disk was already up to date.
 *
 * @example
 * writeGenerated('docs/api/hono.md', markdown, process.argv.includes('--check'))
 */
export function writeGenerated(path: string, content: string, checkOnly: boolean): boolean {
  let current: string | undefined;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === content) return true;
  if (!checkOnly) writeFileSync(path, content);
  console.log(`${checkOnly ? 'stale' : 'wrote'}: ${path}`);
  return false;
}

function trimLines(lines: string[]): string[] {
  const trimmed = lines.map((line) => line.replace(/\s+$/, ''));
  while (trimmed[0]?.trim() === '') trimmed.shift();
  while (trimmed.at(-1)?.trim() === '') trimmed.pop();
  if (trimmed[0] !== undefined) trimmed[0] = trimmed[0].trimStart();
  return trimmed;
}
