import type { Context } from 'hono';
import { mintToken } from '../../dev/tokens';
import { parseConfig } from '../../src/config';
import type { Env } from '../../src/env';
import { coreOf } from '../../src/hono/core';
import { createMemorySessionCache, type MemoryKey } from '../../src/session/memory-cache';
import {
  createMemorySessionStore,
  type MemorySession,
  type MemoryUser,
} from '../../src/session/memory-store';
import type { UserProfile } from '../../src/session/types';
import { createApp } from '../../src/worker/app';
import { workerServices } from '../../src/worker/services';
import { instrumentCache, instrumentStore } from './instrument';

export const SECRET = 'unit-test-secret-unit-test-secret';
export const T0 = Date.parse('2026-11-27T10:00:00.000Z');

/** A minimal valid env; tests override what they exercise. */
export function baseEnv(overrides: Partial<Env> = {}): Env {
  return {
    UPSTASH_REDIS_REST_URL: 'https://redis.example',
    UPSTASH_REDIS_REST_TOKEN: 'redis-token',
    DATABASE_URL: 'postgres://app@ep-quiet-1234.us-east-2.aws.neon.tech/app',
    JWT_SECRET: SECRET,
    ORIGIN_URL: 'https://origin.example',
    ...overrides,
  };
}

export function profile(
  id: string,
  extra: Partial<UserProfile> = {},
): UserProfile & { lastLogin: number | null } {
  return {
    id,
    username: `user-${id}`,
    email: `${id}@example.com`,
    firstName: 'Ada',
    lastName: 'Lovelace',
    isStaff: false,
    isActive: true,
    isSuperuser: false,
    lastLogin: null,
    ...extra,
  };
}

/**
 * The whole HTTP surface on in-memory adapters with a controllable clock, a
 * recording fake origin and an execution context whose `waitUntil` work can
 * be awaited.
 */
export function memoryApp(envOverrides: Partial<Env> = {}) {
  const clock = { now: T0 };
  const now = () => clock.now;
  const env = baseEnv(envOverrides);
  const config = parseConfig(env, { adapters: true });
  const keys = new Map<string, MemoryKey>();
  const users = new Map<string, MemoryUser>();
  const sessions = new Map<string, MemorySession>();
  const cache = Object.assign(
    instrumentCache(createMemorySessionCache({ prefix: config.redis.keyPrefix, now, keys })),
    { keys },
  );
  const store = Object.assign(instrumentStore(createMemorySessionStore({ now, users, sessions })), {
    users,
    sessions,
  });
  const services = workerServices(env, { cache, store, now, log: () => {} });
  // The session core the app's requests use (options given as values ignore the context).
  const core = coreOf(services.auth)({} as Context);
  const logLines: string[] = [];
  const app = createApp({ services, log: (line) => logLines.push(line) });
  const pending: Promise<unknown>[] = [];
  let waitUntilCalls = 0;
  const ctx = {
    waitUntil: (p: Promise<unknown>) => {
      waitUntilCalls++;
      pending.push(p);
    },
    passThroughOnException: () => {},
    props: {},
  } as unknown as ExecutionContext;

  return {
    app,
    services,
    core,
    /** The JSON request log lines the app wrote. */
    logLines,
    cache,
    store,
    clock,
    config,
    /** The execution context whose `waitUntil` work `settle()` awaits. */
    ctx,
    /** How often the app handed work to `waitUntil` so far. */
    get waitUntilCalls() {
      return waitUntilCalls;
    },
    request: (path: string, init: RequestInit = {}) => app.request(path, init, {}, ctx),
    /** Waits for all background work (cache writes, touches), including work it schedules. */
    async settle() {
      while (pending.length > 0) await Promise.all(pending.splice(0));
    },
    /** Adds a user with a live session and returns a token for it. */
    async login(
      userId: string,
      sessionId: string,
      opts: { ttlMs?: number; user?: Partial<UserProfile> } = {},
    ) {
      if (!store.users.has(userId)) store.users.set(userId, profile(userId, opts.user));
      store.sessions.set(sessionId, {
        id: sessionId,
        userId,
        expiresAt: clock.now + (opts.ttlMs ?? 3600_000),
      });
      return mintToken({ secret: SECRET, userId, sessionId, at: clock.now });
    },
  };
}

export const bearer = (token: string): RequestInit => ({ headers: { Authorization: `Bearer ${token}` } });
