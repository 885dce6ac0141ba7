// What a Worker isolate prints, captured line by line: Miniflare hands over
// workerd's stdout and stderr through `handleRuntimeStdio` (each Miniflare is
// its own workerd process, so the capture is per isolate). stdout carries the
// Worker's one JSON line per request, stderr its warnings. Disposing an
// isolate destroys its pipes (unread output is lost, the streams never end),
// so a complete capture is awaited by counting request lines instead.
import type { Readable } from 'node:stream';
import type { Env } from '../../src/env';
import { eventually, type Stack } from './stack';

/** The Worker's per-request log line (src/http/observe.ts), as far as these tests read it. */
export interface RequestLine {
  msg: 'request';
  status: number;
  outcome: string;
  served?: string;
  touch?: string;
  error?: string;
  durations: Record<string, number>;
}

/** One isolate's output. */
export interface IsolateLogs {
  /** For Miniflare's `handleRuntimeStdio` option. */
  handleRuntimeStdio(stdout: Readable, stderr: Readable): void;
  /** Complete lines so far. */
  stdout(): string[];
  stderr(): string[];
  /** The parsed `{"msg":"request",…}` lines of stdout. */
  requests(): RequestLine[];
}

/**
 * A capture for one isolate.
 * @example const logs = captureLogs(); new Miniflare({ …, handleRuntimeStdio: logs.handleRuntimeStdio });
 */
export function captureLogs(): IsolateLogs {
  const lines = { stdout: [] as string[], stderr: [] as string[] };
  const collect = (stream: Readable, into: string[]) => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      into.push(...parts.filter((l) => l !== ''));
    });
  };
  return {
    handleRuntimeStdio(stdout, stderr) {
      collect(stdout, lines.stdout);
      collect(stderr, lines.stderr);
    },
    stdout: () => [...lines.stdout],
    stderr: () => [...lines.stderr],
    requests: () =>
      lines.stdout.flatMap((line) => {
        try {
          const parsed = JSON.parse(line) as { msg?: unknown };
          return parsed.msg === 'request' ? [parsed as RequestLine] : [];
        } catch {
          return [];
        }
      }),
  };
}

/** Every isolate's logs of a test file, for checks over all of them. */
export interface LogBook {
  /** A Worker isolate on `stack` whose output is captured (and kept in this book). */
  worker(stack: Stack, overrides?: Partial<Env>): ReturnType<typeof loggedWorker>;
  /** Every captured line so far, with where it came from. */
  lines(): { isolate: number; stream: 'stdout' | 'stderr'; line: string }[];
  /** Waits until every request sent to a captured isolate has its log line (one per request). */
  settle(): Promise<void>;
}

/**
 * A Worker isolate with its logs captured; `sent()` counts the requests it was sent.
 * @example const worker = await loggedWorker(stack); await worker.fetch('/healthz'); worker.logs.requests();
 */
export async function loggedWorker(stack: Stack, overrides: Partial<Env> = {}) {
  const logs = captureLogs();
  const worker = await stack.workerWith(overrides, { handleRuntimeStdio: logs.handleRuntimeStdio });
  let sent = 0;
  const fetch: typeof worker.fetch = (path, init) => {
    sent++;
    return worker.fetch(path, init);
  };
  return { ...worker, fetch, logs, sent: () => sent };
}

/**
 * @example
 * const book = createLogBook();
 * const worker = await book.worker(stack, { REDIS_TIMEOUT_MS: '200' });
 * await book.settle(); expect(leaks(book.lines(), secrets)).toEqual([]);
 */
export function createLogBook(): LogBook {
  const isolates: Awaited<ReturnType<typeof loggedWorker>>[] = [];
  return {
    async worker(stack, overrides = {}) {
      const worker = await loggedWorker(stack, overrides);
      isolates.push(worker);
      return worker;
    },
    lines: () =>
      isolates.flatMap((w, isolate) => [
        ...w.logs.stdout().map((line) => ({ isolate, stream: 'stdout' as const, line })),
        ...w.logs.stderr().map((line) => ({ isolate, stream: 'stderr' as const, line })),
      ]),
    async settle() {
      await eventually(
        async () => isolates.filter((w) => w.logs.requests().length < w.sent()).length,
        (behind) => behind === 0,
      );
    },
  };
}

/**
 * Which secrets appear in which lines, naming the secret (never printing its value).
 * @example expect(leaks(book.lines(), { 'JWT secret': secret })).toEqual([]);
 */
export function leaks(
  lines: { isolate: number; stream: string; line: string }[],
  secrets: Record<string, string>,
): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(secrets)) {
    if (value.length < 6) throw new Error(`secret "${name}" is too short to search for meaningfully`);
    for (const { isolate, stream, line } of lines)
      if (line.includes(value)) found.push(`${name} in isolate ${isolate} ${stream}`);
  }
  return found;
}
