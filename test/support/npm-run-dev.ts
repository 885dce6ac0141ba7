import { spawn } from 'node:child_process';
import { inject } from 'vitest';
import { freePort } from '../../dev/ports';
import { eventually } from './stack';

/** How long wrangler may take to build and answer: a cold build on a shared 2-core machine. */
const READY_TIMEOUT_MS = 90_000;

/**
 * `npm run dev -- <args>` (as `tsx dev/start.ts`, what the npm script runs) on a free port, in a
 * process group of its own as a terminal makes it, on the test suite's Redis. Resolves once it
 * prints `edge-auth is running on <url>`; fails with its output if it exits first. `stop()` sends
 * the group SIGTERM, as Ctrl-C would, and waits until it has stopped everything and exited.
 *
 * @example
 * const dev = await startNpmRunDev(['--origin', 'http://127.0.0.1:8000', '--database-url', url]);
 * await fetch(`${dev.url}/login`); …; await dev.stop();
 */
export async function startNpmRunDev(args: string[]) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn('node_modules/.bin/tsx', ['dev/start.ts', ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: String(port),
      WRANGLER_INSPECTOR_PORT: String(await freePort()),
      REDIS_URL: inject('redisUrl'),
    },
  });
  const exited = new Promise((done) => child.once('exit', done));
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (d: Buffer) => (output += d));
  const stop = async () => {
    if (child.pid && child.exitCode === null && child.signalCode === null)
      process.kill(-child.pid, 'SIGTERM');
    await exited;
  };
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`npm run dev exited (${child.exitCode}):\n${output}`);
        return output;
      },
      (out) => out.includes(`edge-auth is running on ${url}`),
      READY_TIMEOUT_MS,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop, output: () => output };
}
