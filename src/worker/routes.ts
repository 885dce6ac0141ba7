import type { Context } from 'hono';

/** The Worker's endpoints, named once: registered by `createApp`, named in each log line. */
export const ROUTES = {
  healthz: '/healthz',
  readyz: '/readyz',
  jwks: '/.well-known/jwks.json',
  session: '/auth/session',
  verify: '/auth/verify',
  logout: '/auth/logout',
} as const;

export type RouteName = keyof typeof ROUTES | 'proxy';

const NAMES = new Map<string, RouteName>(
  Object.entries(ROUTES).map(([name, path]) => [path, name as RouteName]),
);

/** The endpoint's name for the log line (from the path Hono routed on); every other path is the proxy. */
export function routeOf(c: Context): RouteName {
  return NAMES.get(c.req.path) ?? 'proxy';
}
