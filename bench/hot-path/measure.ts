// The CPU edge-auth's warm path adds to a request, without the network.
// bench/workers/hot-path.ts runs N requests in a loop inside one workerd,
// through edge-auth's app (an L1 hit: token, L1, identity headers,
// Server-Timing, the log line), through it with a signed X-Auth-Assertion
// (bound to each request's method and URL: new URLs sign every time, one URL
// is answered from the signer's cache), or through the bare forward() every
// variant shares, origin stubbed; workerd's CPU time (/proc) ÷ N is the cost
// per request. Variants alternate within each round, so all see the same
// machine. Where `npm run bench` resolves per-request CPU to ±0.03 ms between
// runs, this resolves ~1 µs: it is for deciding hot-path changes; the full
// benchmark is the product's figure.
import { generateKeyPairSync } from 'node:crypto';
import { mintToken } from '../../dev/tokens';
import { quantile, servedLabel, signed } from '../../tools/harness/format';
import { cpuMs } from '../../tools/harness/proc';
import { bundleWorkers, startWorkerd } from '../../tools/harness/workerd';
import {
  expectedAssertionChanges,
  HOT_PATH,
  HOT_PATH_VARIANTS,
  type HotPathAnswer,
  type HotPathVariant,
} from '../workers/hot-path-fixture';

/** Per variant, µs of workerd CPU per request in each measured round. */
export type HotPathResult = Record<HotPathVariant, number[]>;

/**
 * Bundles the hot-path Worker, runs `rounds` measured rounds (after one warm-up) of `n` requests
 * per variant, and returns the figures; throws if any request was not a 200, edge-auth's was
 * not served from L1, or the origin did not see a new assertion on every request of the signing
 * loop and one only in the cached loop.
 *
 * @example const { 'edge-auth': ea, forward } = await measureHotPath({ n: 20_000, rounds: 7 });
 */
export async function measureHotPath(options: { n: number; rounds: number }): Promise<HotPathResult> {
  const bundles = await bundleWorkers({ 'hot-path': 'bench/workers/hot-path.toml' });
  // A new key per run, handed to the Worker as a binding: no signing key lives in the repository.
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const bindings = { ASSERTION_SIGNING_KEY: JSON.stringify(privateKey.export({ format: 'jwk' })) };
  const worker = await startWorkerd({ script: bundles.scripts['hot-path'], bindings }).catch(async (err) => {
    await bundles.remove();
    throw err;
  });
  try {
    const { pid } = worker;
    if (pid === undefined) throw new Error('cannot read workerd CPU time here (needs Linux /proc)');
    const token = await mintToken({
      secret: HOT_PATH.secret,
      userId: HOT_PATH.user,
      sessionId: HOT_PATH.session,
    });
    const loop = async (variant: HotPathVariant, n: number) => {
      const res = await worker.fetch(`/?variant=${variant}&n=${n}`, token);
      const answer = (await res.json()) as HotPathAnswer;
      if (res.status !== 200 || answer.statuses[200] !== n)
        throw new Error(`${variant}: not every request answered 200: ${JSON.stringify(answer.statuses)}`);
      const changes = expectedAssertionChanges(variant, n);
      if (answer.assertionChanges !== changes)
        throw new Error(
          `${variant}: the origin saw ${answer.assertionChanges} new assertions, not ${changes}`,
        );
      return servedLabel(answer.serverTiming);
    };
    const result = Object.fromEntries(HOT_PATH_VARIANTS.map((v) => [v, [] as number[]])) as HotPathResult;
    for (let round = 0; round <= options.rounds; round++) {
      for (const variant of round % 2 === 0 ? HOT_PATH_VARIANTS : [...HOT_PATH_VARIANTS].reverse()) {
        // The L1 entry (10 s) is loaded again before each timed loop, which then never misses; the
        // cached-assertion loop finds the assertion this request signed.
        await loop(variant, 1);
        const before = cpuMs(pid);
        const served = await loop(variant, options.n);
        if (variant !== 'forward' && served !== 'l1')
          throw new Error(`${variant}: the last request was served from ${served}, not L1`);
        // Round 0 warms the JIT and is not kept.
        if (round > 0) result[variant].push(((cpuMs(pid) - before) / options.n) * 1000);
      }
    }
    return result;
  } finally {
    await worker.mf.dispose();
    await bundles.remove();
  }
}

/**
 * The report: each variant's µs per request (median, range), and what edge-auth and a signed
 * assertion add, paired by round.
 * @example console.log(formatHotPath(await measureHotPath(options), options));
 */
export function formatHotPath(result: HotPathResult, options: { n: number; rounds: number }): string {
  const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
  const median = (values: number[]) => quantile(sorted(values), 0.5);
  const line = (name: string, values: number[], show = (v: number) => v.toFixed(1)) => {
    const [low = Number.NaN, high = Number.NaN] = [sorted(values)[0], sorted(values).at(-1)];
    return `${name.padEnd(28)} ${show(median(values)).padStart(6)} µs/request (${show(low)} to ${show(high)})`;
  };
  /** `variant` − `base` per round; a round where it cost less is noise, not a saving. */
  const adds = (name: string, variant: HotPathVariant, base: HotPathVariant) => {
    const values = result[variant].map((v, i) => v - (result[base][i] ?? Number.NaN));
    const noise = values.some((v) => v < 0) ? '; below zero: noise, no measurable cost' : '';
    return `${line(name, values, (v) => signed(v, 1))}${noise}`;
  };
  return [
    `# edge-auth hot path: workerd CPU per request, no network (${options.rounds} rounds × ${options.n} requests per variant)`,
    '',
    line('forward() alone', result.forward),
    line('edge-auth app, L1 hit', result['edge-auth']),
    adds('edge-auth adds (paired)', 'edge-auth', 'forward'),
    `edge-auth ÷ forward: ×${(median(result['edge-auth']) / median(result.forward)).toFixed(2)} (median ÷ median)`,
    '',
    'with ASSERTION_SIGNING_KEY (X-Auth-Assertion bound to each request’s method and URL):',
    line('  new URL each time: signs', result['assertion-signed']),
    line('  the same URL: cached', result['assertion-cached']),
    adds('  signing adds (paired)', 'assertion-signed', 'edge-auth'),
    adds('  a cached one adds (paired)', 'assertion-cached', 'edge-auth'),
    '',
  ].join('\n');
}
