// The CPU edge-auth's warm
// path adds to a request, without the network. bench/workers/hot-path.ts runs
// N requests in a loop inside one workerd, through edge-auth's app (an L1
// hit: token, L1, identity headers, Server-Timing, the log line) or through
// the bare forward() every variant shares, origin stubbed; workerd's CPU time
// (/proc) ÷ N is the cost per request. Variants alternate within each round,
// so both see the same machine. Where `npm run bench` resolves per-request CPU
// to ±0.03 ms between runs, this resolves ~1 µs: it is for deciding hot-path
// changes; the full benchmark is the product's figure.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Miniflare } from 'miniflare';
import { mintToken } from '../../dev/tokens';
import { bundleWorker } from '../build';
import { cpuMs } from '../cpu';
import { startWorkerd } from '../stack';
import {
  HOT_PATH_SECRET,
  HOT_PATH_SESSION,
  HOT_PATH_USER,
  HOT_PATH_VARIANTS,
  type HotPathAnswer,
  type HotPathVariant,
} from '../workers/hot-path-fixture';

/** Per variant, µs of workerd CPU per request in each measured round. */
export type HotPathResult = Record<HotPathVariant, number[]>;

/**
 * Bundles the hot-path Worker, runs `rounds` measured rounds (after one warm-up) of `n` requests
 * per variant, and returns the figures; throws if any request was not a 200 or edge-auth's was
 * not served from L1.
 *
 * @example const { 'edge-auth': ea, forward } = await measureHotPath({ n: 20_000, rounds: 7 });
 */
export async function measureHotPath(options: { n: number; rounds: number }): Promise<HotPathResult> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-auth-hot-path-'));
  let mf: Miniflare | undefined;
  try {
    const script = await bundleWorker(join(dir, 'hot-path'), 'bench/workers/hot-path.toml', 'hot-path.js');
    const started = await startWorkerd(script);
    mf = started.mf;
    const { pid } = started;
    if (pid === undefined) throw new Error('cannot read workerd CPU time here (needs Linux /proc)');
    const token = await mintToken({
      secret: HOT_PATH_SECRET,
      userId: HOT_PATH_USER,
      sessionId: HOT_PATH_SESSION,
    });
    const worker = mf;
    const loop = async (variant: HotPathVariant, n: number, fromL1: boolean) => {
      const res = await worker.dispatchFetch(`http://hot.path/?variant=${variant}&n=${n}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      const answer = (await res.json()) as HotPathAnswer;
      if (res.status !== 200 || answer.statuses[200] !== n) {
        throw new Error(`${variant}: not every request answered 200: ${JSON.stringify(answer.statuses)}`);
      }
      if (fromL1 && variant === 'edge-auth' && answer.served !== 'l1') {
        throw new Error(`edge-auth's last request was served from ${answer.served}, not L1`);
      }
    };

    const result: HotPathResult = { 'edge-auth': [], forward: [] };
    for (let round = 0; round <= options.rounds; round++) {
      const order = round % 2 === 0 ? HOT_PATH_VARIANTS : [...HOT_PATH_VARIANTS].reverse();
      for (const variant of order) {
        // The L1 entry (10 s) is loaded again before each timed loop, which then never misses.
        await loop(variant, 1, false);
        const before = cpuMs(pid);
        await loop(variant, options.n, true);
        // Round 0 warms the JIT and is not kept.
        if (round > 0) result[variant].push(((cpuMs(pid) - before) / options.n) * 1000);
      }
    }
    return result;
  } finally {
    await mf?.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The median and the range of a list of numbers.
 * @example spreadOf([3, 1, 2]) // { median: 2, min: 1, max: 3 }
 */
export function spreadOf(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/**
 * The report: each variant's µs per request (median, range), and edge-auth's addition,
 * paired by round.
 */
export function formatHotPath(result: HotPathResult, options: { n: number; rounds: number }): string {
  const line = (name: string, values: number[]) => {
    const s = spreadOf(values);
    return `${name.padEnd(28)} ${s.median.toFixed(1).padStart(6)} µs/request (${s.min.toFixed(1)}–${s.max.toFixed(1)})`;
  };
  const added = result['edge-auth'].map((v, i) => v - (result.forward[i] ?? Number.NaN));
  const ratio = spreadOf(result['edge-auth']).median / spreadOf(result.forward).median;
  return [
    `# edge-auth hot path: workerd CPU per request, no network (${options.rounds} rounds × ${options.n} requests per variant)`,
    '',
    line('forward() alone', result.forward),
    line('edge-auth app, L1 hit', result['edge-auth']),
    line('edge-auth adds (paired)', added),
    `edge-auth ÷ forward: ×${ratio.toFixed(2)} (median ÷ median)`,
    '',
  ].join('\n');
}
