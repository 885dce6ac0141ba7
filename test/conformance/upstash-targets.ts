// The engines every Upstash conformance test runs against: the real Redis from
// the global setup and the in-memory fallback. One suite, two backends — the
// fallback must pass exactly what Redis passes, except cases that need commands
// it intentionally does not run (see MEMORY_COMMANDS); those run on Redis only.
import { randomBytes } from 'node:crypto';
import { Redis } from '@upstash/redis';
import { inject } from 'vitest';
import { createMemoryEngine, MEMORY_COMMANDS } from '../../dev/upstash/memory-engine';
import { startUpstashServer, type UpstashServer } from '../../dev/upstash/server';

export const TOKEN = `conformance-${randomBytes(6).toString('hex')}`;

/** A named way to start the server. */
export interface Target {
  name: string;
  start(): Promise<UpstashServer>;
  /** True when this backend does not run one of these commands (skip the case there). */
  lacks(...commands: string[]): boolean;
}

/** Both backends. The first is whatever the global setup found (a real Redis on CI). */
export function targets(): Target[] {
  const kind = inject('redisKind');
  return [
    {
      name: kind === 'memory' ? 'global Redis (NOT REAL: memory fallback)' : `real Redis (${kind})`,
      start: () => startUpstashServer({ redisUrl: inject('redisUrl'), token: TOKEN }),
      lacks: (...commands) => kind === 'memory' && commands.some((c) => !MEMORY_COMMANDS.includes(c)),
    },
    {
      name: 'in-memory engine',
      start: () => startUpstashServer({ engine: createMemoryEngine(), token: TOKEN }),
      lacks: (...commands) => commands.some((c) => !MEMORY_COMMANDS.includes(c)),
    },
  ];
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
