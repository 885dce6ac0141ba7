import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findOnPath } from '../../dev/redis-process';

/** Whether this process may install Debian packages (root, with apt-get on PATH). */
export async function canAptInstall(): Promise<boolean> {
  return process.getuid?.() === 0 && (await findOnPath('apt-get', ['/usr/bin'])) !== undefined;
}

/**
 * Installs Debian packages a test needs on a fresh machine, refreshing the
 * package lists only when the first attempt fails (usually stale lists).
 *
 * @example
 * if (await canAptInstall()) await aptInstall(['nginx-light', 'caddy']);
 */
export async function aptInstall(packages: string[]): Promise<void> {
  const run = promisify(execFile);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => run('apt-get', ['install', '-y', '-qq', ...packages], { env, timeout: 120_000 });
  try {
    await install();
  } catch {
    await run('apt-get', ['update', '-qq'], { env, timeout: 90_000 });
    await install();
  }
}
