// The engines every Upstash conformance test runs against: the real Redis from
// the global setup and the in-memory fallback. One suite, two backends — the
// fallback must pass exactly what Redis passes. Cases that need commands the
// fallback intentionally does not run (anything outside MEMORY_COMMANDS: INCR,
// INCRBY, SCRIPT …) are defined only for `realRedisTargets()`, and the
// fallback's refusal of those commands is asserted for `memoryTargets()`, so a
// run never reports a case as skipped.
import { randomBytes } from 'node:crypto';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, inject } from 'vitest';
import { createMemoryEngine } from '../../dev/upstash/memory-engine';
import { startUpstashServer, type UpstashServer } from '../../dev/upstash/server';

export const TOKEN = `conformance-${randomBytes(6).toString('hex')}`;

/** A named way to start the server. */
export interface Target {
  name: string;
  /** What answers behind the server: a real Redis, or the in-memory fallback (MEMORY_COMMANDS only). */
  engine: 'redis' | 'memory';
  start(): Promise<UpstashServer>;
}

/** Both backends. The first is whatever the global setup found (a real Redis on CI). */
export function targets(): Target[] {
  const kind = inject('redisKind');
  return [
    {
      name: kind === 'memory' ? 'global Redis (NOT REAL: memory fallback)' : `real Redis (${kind})`,
      engine: kind === 'memory' ? 'memory' : 'redis',
      start: () => startUpstashServer({ redisUrl: inject('redisUrl'), token: TOKEN }),
    },
    {
      name: 'in-memory engine',
      engine: 'memory',
      start: () => startUpstashServer({ engine: createMemoryEngine(), token: TOKEN }),
    },
  ];
}

/**
 * The targets backed by a real Redis: where cases needing commands beyond the fallback's set are
 * defined. Empty on a machine without Redis (the global setup then announces the memory fallback).
 */
export function realRedisTargets(): Target[] {
  return targets().filter((t) => t.engine === 'redis');
}

/** The targets backed by the in-memory fallback: where its refusal of other commands is asserted. */
export function memoryTargets(): Target[] {
  return targets().filter((t) => t.engine === 'memory');
}

/**
 * Starts `target`'s server before the enclosing suite's cases and, after them, deletes the keys under
 * `prefix` and closes it. Call inside a describe; the getter is valid once the cases run.
 */
export function serveTarget(target: Target, prefix: string): () => UpstashServer {
  let server: UpstashServer | undefined;
  beforeAll(async () => {
    server = await target.start();
  });
  afterAll(async () => {
    if (!server) return;
    await cleanup(server, prefix);
    await server.close();
  });
  return () => {
    if (!server) throw new Error(`${target.name}: the server has not started`);
    return server;
  };
}

/** A key prefix unique to one test file run. */
export const newPrefix = (label: string) => `conformance:${label}:${randomBytes(4).toString('hex')}:`;

/**
 * The real client, changed only by configuration. No retries: a failure should
 * surface at once instead of after the client's ~4 s of backoff.
 */
export function client(
  server: UpstashServer,
  opts: { autoPipelining?: boolean; token?: string } = {},
): Redis {
  return new Redis({
    url: server.url,
    token: opts.token ?? TOKEN,
    enableTelemetry: false,
    enableAutoPipelining: opts.autoPipelining ?? true,
    retry: false,
  });
}

/** Deletes every key under `prefix` (through the server, so it works for both engines). */
export async function cleanup(server: UpstashServer, prefix: string): Promise<void> {
  const redis = client(server, { autoPipelining: false });
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
}

/** POSTs raw JSON to the server (for wire-level checks the client would hide). */
export async function post(
  server: UpstashServer,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as unknown };
}
