/**
 * Builds the `PUBLIC_PATHS` matcher. An entry without `*` matches that path
 * and everything below it (`/static` matches `/static` and `/static/app.js`,
 * not `/static-admin`); a trailing `*` makes it a plain prefix
 * (`/static*` also matches `/static-admin`).
 *
 * @example
 * const isPublic = publicPathMatcher(['/healthz', '/assets/*']);
 * isPublic('/assets/app.css') // true
 */
export function publicPathMatcher(entries: string[]): (pathname: string) => boolean {
  const rules = entries.map((entry) =>
    entry.endsWith('*')
      ? (path: string) => path.startsWith(entry.slice(0, -1))
      : (path: string) => {
          const base = entry.replace(/\/+$/, '');
          return path === entry || path === base || path.startsWith(`${base}/`);
        },
  );
  return (pathname) => rules.some((rule) => rule(pathname));
}
