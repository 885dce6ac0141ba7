import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Exchange } from './exchange';

/**
 * Seed and number of runs: fixed defaults, `FUZZ_SEED` and `FUZZ_RUNS` (the
 * layer's total, shared out in proportion to the defaults) override them.
 *
 * @example
 * const settings = fuzzSettings(20_261_127, 13_500);
 * settings.runs(3_000) // 3000 unless FUZZ_RUNS says otherwise
 */
export function fuzzSettings(defaultSeed: number, defaultTotal: number) {
  const seed = process.env.FUZZ_SEED ? Number.parseInt(process.env.FUZZ_SEED, 10) : defaultSeed;
  const total = process.env.FUZZ_RUNS ? Number.parseInt(process.env.FUZZ_RUNS, 10) : defaultTotal;
  if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(total) || total < 1) {
    throw new Error('FUZZ_SEED and FUZZ_RUNS must be integers (FUZZ_RUNS ≥ 1)');
  }
  return { seed, total, runs: (share: number) => Math.max(1, Math.round((total * share) / defaultTotal)) };
}

const SESSION_COOKIE = /(^|;)\s*(session|__Host-sid)=/;

/** Tallies of one property's run, printed and checked for coverage. */
export class FuzzStats {
  cases = 0;
  refused = 0;
  /** Why requests were refused before reaching the Worker. */
  refusedBecause = new Map<string, number>();
  byStatus = new Map<number, number>();
  identityForwarded = 0;
  publicForwarded = 0;
  outages = 0;
  /** How often each class of the trust boundary was exercised (`classesOf`). */
  classes = new Map<string, number>();

  record(ex: Exchange): void {
    this.cases++;
    this.byStatus.set(ex.response.status, (this.byStatus.get(ex.response.status) ?? 0) + 1);
    if (ex.request.outage !== 'none') this.outages++;
    for (const record of ex.origin) {
      if (record.headers.some(([name]) => name.toLowerCase() === 'x-auth-user-id')) this.identityForwarded++;
      else this.publicForwarded++;
    }
    for (const name of classesOf(ex)) this.classes.set(name, (this.classes.get(name) ?? 0) + 1);
  }

  /** Counts a request the HTTP client (or the runtime's HTTP server) would not deliver. */
  refuse(reason: string): void {
    this.refused++;
    this.refusedBecause.set(reason, (this.refusedBecause.get(reason) ?? 0) + 1);
  }

  summary(): string {
    const tally = <K>(map: Map<K, number>) =>
      [...map]
        .sort(([, a], [, b]) => b - a)
        .map(([what, n]) => `${what} ×${n}`)
        .join(', ');
    const statuses = [...this.byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
    return (
      `${this.cases} reached the Worker, ${this.refused} refused before it (${tally(this.refusedBecause)}); ` +
      `origin: ${this.identityForwarded} with identity, ${this.publicForwarded} public; ` +
      `${this.outages} with an outage; statuses ${statuses.join(' ')}; boundary: ${tally(this.classes)}`
    );
  }
}

/**
 * The trust-boundary classes one exchange exercised, for the coverage
 * tallies (what a class names happened; whether it was right is the
 * oracle's business).
 *
 * @example
 * classesOf(ex) // ['_ header dropped', 'credential removed']
 */
export function classesOf(ex: Exchange): string[] {
  const out: string[] = [];
  const sentNames = [...ex.sent.keys()];
  const record = ex.origin[0];
  const names = new Set(record?.headers.map(([name]) => name.toLowerCase()));
  const identity = names.has('x-auth-user-id');
  const answer = new Headers(ex.response.headers);
  const preflight = ex.method === 'OPTIONS' && ex.sent.has('access-control-request-method');
  if (record) {
    const underscored = sentNames.filter((name) => name.includes('_'));
    if (underscored.some((name) => !names.has(name))) out.push('_ header dropped');
    if (underscored.some((name) => names.has(name))) out.push('_ header allowed');
    const overrides = sentNames.filter((name) => /^x-(http-method(-override)?|method-override)$/.test(name));
    if (overrides.some((name) => !names.has(name))) out.push('method override dropped');
    if (overrides.some((name) => names.has(name))) out.push('method override kept');
    if (sentNames.some((name) => name === 'x-original-url' || name === 'x-rewrite-url')) {
      out.push('path rewrite dropped');
    }
    if (carriesCredential(ex.sent)) {
      out.push(
        carriesCredential(new Headers(record.headers)) ? 'credential forwarded' : 'credential removed',
      );
    }
    if (!identity && preflight) out.push('preflight passed');
    const fromOrigin = new Headers(ex.request.answer ?? []).get('cache-control');
    if (identity && answer.get('cache-control') !== fromOrigin) out.push('answer made private');
    if (identity && names.has('x-auth-assertion')) out.push('assertion forwarded');
  } else if (preflight) {
    out.push('OPTIONS authenticated');
  }
  if (URL.parse(`http://x${ex.request.path}`)?.pathname.includes('..')) {
    out.push(record && !identity ? 'dot-dot public' : 'dot-dot not public');
  }
  if (answer.has('x-auth-assertion')) out.push('verify assertion');
  else if (answer.has('x-auth-user-id')) out.push('verify identity only');
  if (ex.response.status === 403) out.push('cross-site logout refused');
  if (ex.response.status === 204) out.push('logout');
  return out;
}

/** A Bearer `Authorization` or a session cookie (of either variant's name). */
function carriesCredential(headers: Headers): boolean {
  return (
    /^\s*bearer\s/i.test(headers.get('authorization') ?? '') ||
    SESSION_COOKIE.test(headers.get('cookie') ?? '')
  );
}

/**
 * Runs one property over `arbitrary` with a fixed seed; `run` checks one
 * value and returns its problems. On failure the shrunk value is saved
 * (`saveCounterexample`) and the error names seed, path and file.
 *
 * @example
 * await checkProperty('mixed', arbs.request('mixed'), { seed: 1, runs: 100, save: 'memory-mixed-1' }, check);
 */
export async function checkProperty<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  options: { seed: number; runs: number; save: string },
  run: (value: T) => Promise<string[]>,
): Promise<void> {
  const property = fc.asyncProperty(arbitrary, async (value) => {
    const problems = await run(value);
    if (problems.length > 0) throw new Error(describeCounterexample(value, problems));
  });
  const result = await fc.check(property, { seed: options.seed, numRuns: options.runs });
  if (!result.failed) return;
  const [value] = result.counterexample ?? [];
  const file = value === undefined ? 'none' : saveCounterexample(options.save, value);
  const error = result.errorInstance;
  throw new Error(
    `${name}: failed after ${result.numRuns} runs (seed ${result.seed}, path ${result.counterexamplePath}), ` +
      `shrunk ${result.numShrinks} times (exact case: ${file}):\n${error instanceof Error ? error.message : String(error)}`,
  );
}

/**
 * The problems and the case, long strings shortened for reading (the exact input is saved apart).
 *
 * @example
 * describeCounterexample(request, ['a 502']) // 'a 502\ncase: {"method":"GET",…}'
 */
export function describeCounterexample(value: unknown, problems: string[]): string {
  const short = JSON.stringify(value, (_, v: unknown) =>
    typeof v === 'string' && v.length > 300 ? `${v.slice(0, 300)}…(${v.length} chars)` : v,
  );
  return `${problems.join('\n')}\ncase: ${short}`;
}

/**
 * Writes a failing case, exactly, where a regression test can be made from
 * it; returns the file's path.
 *
 * @example
 * saveCounterexample('memory-mixed-1', request) // '/tmp/edge-auth-fuzz/memory-mixed-1.json'
 */
export function saveCounterexample(name: string, value: unknown): string {
  const dir = join(tmpdir(), 'edge-auth-fuzz');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  return file;
}
