// Starts a throwaway redis-server (no persistence) when none is reachable.
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { sleep } from './http';
import { freePort } from './ports';
import { pingRedis } from './upstash/redis-engine';

/**
 * The path of an executable on PATH (then in `extraDirs`), or undefined.
 * @example await findOnPath('redis-server') // '/usr/bin/redis-server'
 */
export async function findOnPath(name: string, extraDirs: string[] = []): Promise<string | undefined> {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...extraDirs].filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Spawns `binary` on a free 127.0.0.1 port with persistence off and waits until it answers PING.
 * Resolves with its URL and a stop function, or undefined when it did not come up within `timeoutMs`.
 * @example const redis = await spawnRedis('/usr/bin/redis-server'); await redis?.stop();
 */
export async function spawnRedis(
  binary: string,
  timeoutMs = 5000,
): Promise<{ url: string; stop(): Promise<void> } | undefined> {
  const port = await freePort();
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()],
    { stdio: 'ignore' },
  );
  // If this process dies without calling stop(), do not leave the server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    await stopChild(child);
  };
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await pingRedis(url, 200)) return { url, stop };
    await sleep(50);
  }
  await stop();
  return undefined;
}
