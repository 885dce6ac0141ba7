// What every CLI of bench/, tools/ and docs/capacity/ does alike: parse
// numbers with their bounds, answer --help, own Ctrl-C (stop, clean up, then
// exit), find or start Redis and PostgreSQL, and exit with a clear code.
import { ensurePostgres, ensureRedis } from '../../dev/services';

/**
 * Runs a CLI's main and exits with its code: 130 when it was interrupted (Ctrl-C), 1 with one
 * line naming the failure otherwise.
 *
 * @example runMain('bench', main);
 */
export function runMain(name: string, main: () => Promise<number> | number): void {
  Promise.resolve()
    .then(main)
    .then(
      (code) => process.exit(code),
      (err: unknown) => {
        console.error(`[${name}] failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(err instanceof Error && err.message.startsWith('interrupted') ? 130 : 1);
      },
    );
}

/**
 * Parses arguments with `parse`: the options, or the exit code when there is nothing to run
 * (`--help`: usage on stdout, 0; a bad option: the problem and usage on stderr, 2).
 *
 * @example
 * const opts = parseCli(argv, parseOptions, USAGE);
 * if (typeof opts === 'number') return opts;
 */
export function parseCli<T extends { help: boolean }>(
  argv: string[],
  parse: (argv: string[]) => T,
  usage: string,
): T | number {
  let opts: T;
  try {
    opts = parse(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    return 2;
  }
  if (opts.help) {
    console.log(usage);
    return 0;
  }
  return opts;
}

/**
 * A numeric option: `fallback` when absent, else a number in [min, max] (whole unless `integer: false`).
 * @example numberArg('rounds', '40', 6, { min: 1, max: 1000 }) // 40
 */
export function numberArg(
  name: string,
  raw: string | undefined,
  fallback: number,
  { min, max = Number.MAX_SAFE_INTEGER, integer = true }: { min: number; max?: number; integer?: boolean },
): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n)))
    throw new RangeError(
      `--${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`,
    );
  return n;
}

/**
 * A progress logger to stderr, `[name 12.3s] line`.
 * @example const log = progress('soak'); log('load done');
 */
export function progress(name: string): (line: string) => void {
  const t0 = performance.now();
  return (line) => console.error(`[${name} ${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}`);
}

/**
 * The first Ctrl-C (or SIGTERM) aborts the returned signal, so the run stops after its current
 * step and cleans up; another one a second later exits at once. Closer repeats are the same
 * keypress arriving twice (from the terminal's process group and relayed by npm/tsx).
 *
 * @example const signal = onInterrupt(log); await runSoak({ …, signal });
 */
export function onInterrupt(log: (line: string) => void): AbortSignal {
  const abort = new AbortController();
  let firstAt = 0;
  const handler = (signal: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      if (performance.now() - firstAt > 1000) process.exit(130);
      return;
    }
    firstAt = performance.now();
    log(`${signal}: stopping and cleaning up (again to quit at once)`);
    abort.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return abort.signal;
}

/** Where the local stack's services are. */
export interface Services {
  redisUrl: string;
  /** existing, spawned or memory. */
  redisKind: string;
  postgresAdminUrl: string;
}

/**
 * Finds or starts Redis and PostgreSQL, runs `fn`, and stops what it started, also on error.
 * @example await withServices(log, (s) => runSoak({ ...s, workerScript }))
 */
export async function withServices<T>(
  log: (line: string) => void,
  fn: (s: Services) => Promise<T>,
): Promise<T> {
  const redis = await ensureRedis({ log });
  try {
    const postgres = await ensurePostgres({ log });
    try {
      return await fn({ redisUrl: redis.url, redisKind: redis.kind, postgresAdminUrl: postgres.url });
    } finally {
      await postgres.stop();
    }
  } finally {
    await redis.stop();
  }
}
