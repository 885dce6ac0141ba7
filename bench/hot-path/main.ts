// `npm run bench:hot-path [-- --n N --rounds R]`: edge-auth's warm path
// against the bare forward(), workerd CPU per request without the network
// (see measure.ts). Prints the figures; exits 1 if a request failed.
import { parseArgs } from 'node:util';
import { numberArg, parseCli, runMain } from '../../tools/harness/cli';
import { formatHotPath, measureHotPath } from './measure';

const USAGE = `usage: npm run bench:hot-path -- [--n N (default 20000)] [--rounds R (default 7)]`;

function parseOptions(argv: string[]) {
  const { values: v } = parseArgs({
    args: argv,
    options: { n: { type: 'string' }, rounds: { type: 'string' }, help: { type: 'boolean', default: false } },
  });
  return {
    help: v.help === true,
    n: numberArg('n', v.n, 20_000, { min: 1, max: 1_000_000 }),
    rounds: numberArg('rounds', v.rounds, 7, { min: 1, max: 1000 }),
  };
}

runMain('bench:hot-path', async () => {
  const opts = parseCli(process.argv.slice(2), parseOptions, USAGE);
  if (typeof opts === 'number') return opts;
  process.stdout.write(formatHotPath(await measureHotPath(opts), opts));
  return 0;
});
