import { neonConfig } from '@neondatabase/serverless';

const endpoints = new Map<string, string>();
const neonDefault = neonConfig.fetchEndpoint;

/**
 * Sends the queries of one database (host and port of its connection string)
 * to `endpoint`, leaving every other database on Neon's own endpoint. The
 * driver only has an isolate-wide `fetchEndpoint`; this installs a router
 * there (once, on first use, never at import) instead of pointing the whole
 * isolate at one endpoint, so two stores, or a host app's own `neon()`
 * client, never send each other's queries.
 *
 * @example
 * routeNeonEndpoint('postgres://app@127.0.0.1:5432/app', 'http://127.0.0.1:4444/sql');
 */
export function routeNeonEndpoint(connectionString: string, endpoint: string): void {
  const url = new URL(connectionString);
  endpoints.set(`${url.hostname}:${url.port || '5432'}`, endpoint);
  if (neonConfig.fetchEndpoint === route) return;
  neonConfig.fetchEndpoint = route;
}

function route(host: string, port: number | string, options?: { jwtAuth?: boolean }): string {
  const routed = endpoints.get(`${host}:${port || '5432'}`);
  if (routed) return routed;
  return typeof neonDefault === 'function' ? neonDefault(host, port, options) : neonDefault;
}
