/**
 * `edge-auth/memory`: in-memory cache and store that obey the real
 * backends' rules (TTLs, SET NX, the touch's WHERE), with a clock you
 * control — for tests and local experiments, never for production.
 *
 * @example
 * import { createMemorySessionCache, createMemorySessionStore } from 'edge-auth/memory';
 * let now = Date.now();
 * const cache = createMemorySessionCache({ now: () => now });
 */
export {
  createMemorySessionCache,
  type MemoryKey,
  type MemorySessionCacheOptions,
} from '../session/memory-cache';
export {
  createMemorySessionStore,
  type MemorySession,
  type MemorySessionStoreOptions,
  type MemoryUser,
} from '../session/memory-store';
