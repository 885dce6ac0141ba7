import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { API_DIR, apiPages } from './api-docs';
import { apiEntries } from './api-exports';

/**
 * The API reference in docs/api/ is what `npm run docs:api` generates from the
 * code, each entry exports exactly the values listed here (a new or vanished
 * export fails until this list and the reference change with it), and every
 * exported function and class is documented with an example.
 */

const ROOT = resolve(import.meta.dirname, '..');

/** Each entry's runtime exports, imported from its source. */
const ENTRIES = {
  'edge-auth': {
    load: () => import('../src/index'),
    values: [
      'AssertionKeyError',
      'AuthError',
      'ConfigError',
      'CrossSiteError',
      'DependencyError',
      'IdentityError',
      'OriginError',
      'issueSession',
    ],
  },
  'edge-auth/hono': { load: () => import('../src/hono/index'), values: ['edgeAuth'] },
  'edge-auth/upstash': {
    load: () => import('../src/adapters/upstash'),
    values: ['createUpstashSessionCache'],
  },
  'edge-auth/neon': { load: () => import('../src/adapters/neon'), values: ['createNeonSessionStore'] },
  'edge-auth/memory': {
    load: () => import('../src/adapters/memory'),
    values: ['createMemorySessionCache', 'createMemorySessionStore'],
  },
  'edge-auth/django': {
    load: () => import('../src/adapters/django'),
    values: [
      'DJANGO_DEFAULTS',
      'DJANGO_KEY_VARIABLES',
      'deriveDjangoKeys',
      'djangoSessions',
      'formatDjangoKeys',
      'parseDjangoKeyList',
      'parseSessionIdKey',
    ],
  },
  'edge-auth/worker': {
    load: () => import('../src/worker/index'),
    values: ['createApp', 'default', 'workerServices'],
  },
} satisfies Record<string, { load: () => Promise<object>; values: string[] }>;

const entries = apiEntries();

describe('API reference (docs/api/)', () => {
  it('is what `npm run docs:api` generates, and nothing else is there', () => {
    const pages = apiPages();
    for (const [path, content] of pages)
      expect(readFileSync(join(ROOT, path), 'utf8'), `${path} is stale: run \`npm run docs:api\``).toBe(
        content,
      );
    expect(readdirSync(join(ROOT, API_DIR)).sort()).toEqual(
      [...pages.keys()].map((path) => path.slice(API_DIR.length + 1)).sort(),
    );
  });

  it('documents every entry of package.json exports, and only those', () => {
    expect(entries.map((e) => e.specifier).sort()).toEqual(Object.keys(ENTRIES).sort());
  });

  it('names every runtime export of an entry, with the kind of its declaration', async () => {
    for (const entry of entries) {
      const runtime = Object.keys(await ENTRIES[entry.specifier as keyof typeof ENTRIES].load()).sort();
      const documented = entry.exports.filter((e) => e.kind !== 'interface' && e.kind !== 'type');
      expect(documented.map((e) => e.name).sort(), entry.specifier).toEqual(runtime);
    }
  });

  it('documents every exported function and class with a summary and an @example', () => {
    const undocumented = entries.flatMap((entry) =>
      entry.exports
        .filter((e) => e.kind === 'function' || e.kind === 'class')
        .filter((e) => !e.doc?.summary || !e.doc.tags.some((tag) => tag.name === 'example' && tag.text))
        .map((e) => `${entry.specifier} ${e.name} (${e.file})`),
    );
    expect(entries.flatMap((e) => e.exports).filter((e) => e.kind === 'function').length).toBeGreaterThan(5);
    expect(undocumented).toEqual([]);
  });

  it('each entry has a comment with an example (the top of its page)', () => {
    expect(
      entries.filter((e) => !e.doc?.tags.some((tag) => tag.name === 'example')).map((e) => e.specifier),
    ).toEqual([]);
  });
});

describe('entries', () => {
  it.each(Object.entries(ENTRIES))('%s exports exactly its listed values', async (_, { load, values }) => {
    expect(Object.keys(await load()).sort()).toEqual([...values].sort());
  });

  describe('importing edge-auth/worker', () => {
    afterEach(() => {
      vi.useRealTimers();
      vi.unstubAllGlobals();
      vi.restoreAllMocks();
    });

    it('starts nothing: no timer, no fetch, no log line, no app built', async () => {
      vi.resetModules(); // evaluate the entry and everything it imports afresh, under watch
      vi.useFakeTimers();
      const fetch = vi.fn();
      vi.stubGlobal('fetch', fetch);
      const logs = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
        vi.spyOn(console, level).mockImplementation(() => undefined),
      );
      const app = await import('../src/worker/app');
      const createApp = vi.spyOn(app, 'createApp');
      const worker = await import('../src/worker/index');

      expect(typeof worker.default.fetch).toBe('function');
      expect(vi.getTimerCount()).toBe(0);
      expect(fetch).not.toHaveBeenCalled();
      for (const log of logs) expect(log).not.toHaveBeenCalled();
      expect(createApp).not.toHaveBeenCalled();

      // The first request builds it (so the spy above sees what it should).
      const ctx = {
        waitUntil: () => undefined,
        passThroughOnException: () => undefined,
        props: {},
      } as unknown as ExecutionContext;
      const res = await worker.default.fetch(new Request('http://edge.test/healthz'), {}, ctx);
      expect(res.status).toBe(200);
      expect(createApp).toHaveBeenCalledTimes(1);
    });
  });
});
