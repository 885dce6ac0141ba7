// `npm run bench:hot-path [-- --n N --rounds R]`: edge-auth's warm path
// against the bare forward(), workerd CPU per request without the network
// (see measure.ts). Prints the figures; exits 1 if a request failed.
import { parseArgs } from 'node:util';
import { runMain } from '../cli';
import { formatHotPath, measureHotPath } from './measure';

function option(raw: string | undefined, name: string, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > max) throw new RangeError(`--${name} must be from 1 to ${max}`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { n: { type: 'string' }, rounds: { type: 'string' } } });
  const options = {
    n: option(values.n, 'n', 20_000, 1_000_000),
    rounds: option(values.rounds, 'rounds', 7, 1_000),
  };
  process.stdout.write(formatHotPath(await measureHotPath(options), options));
  return 0;
}

runMain('bench:hot-path', main);
