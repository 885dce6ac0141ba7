/**
 * `edge-auth/upstash`: the shared session cache on Upstash Redis. Pass it a
 * `Redis` from `@upstash/redis/cloudflare` (your dependency, not bundled by
 * any other entry).
 *
 * @example
 * import { Redis } from '@upstash/redis/cloudflare';
 * import { createUpstashSessionCache } from 'edge-auth/upstash';
 * const cache = createUpstashSessionCache({ redis: new Redis({ url, token, enableAutoPipelining: false }), prefix: 'edge-auth:' });
 */
export { createUpstashSessionCache, type UpstashSessionCacheOptions } from '../session/upstash-cache';
