// CPU time of the workerd processes, read from Linux's /proc. Each Miniflare
// instance spawns its own `workerd` as a direct child of this Node process,
// so a variant's CPU is its workerd's utime + stime: the Worker, Miniflare's
// entry worker in front of it, and any background (waitUntil) work.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime/stime (USER_HZ); 100 on every common Linux. */
export const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
}

/** Parses /proc/<pid>/stat; `comm` is in parentheses and may itself hold spaces or ')'. */
function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone, or no /proc (not Linux)
  }
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  // After "pid (comm) ": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime …
  const fields = text.slice(close + 2).split(' ');
  return {
    pid,
    comm: text.slice(open + 1, close),
    ppid: Number(fields[1]),
    ticks: Number(fields[11]) + Number(fields[12]),
  };
}

/**
 * Pids of this process's children named `comm` (e.g. 'workerd'), found by
 * walking /proc/<pid>/stat ppid links. Empty where there is no /proc.
 *
 * @example const before = childPids('workerd'); new Miniflare(…); await mf.ready; childPids('workerd') // one more
 */
export function childPids(comm: string, parent = process.pid): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries
    .filter((e) => /^\d+$/.test(e))
    .map((e) => readStat(Number(e)))
    .filter((s): s is ProcStat => s !== undefined && s.ppid === parent && s.comm === comm)
    .map((s) => s.pid);
}

/**
 * CPU time (user + system, all threads) a process has used so far, in ms, at
 * the resolution of one clock tick (10 ms at USER_HZ=100): sum many deltas
 * before dividing by requests. NaN when the process cannot be read.
 *
 * @example const t0 = cpuMs(pid); … ; (cpuMs(pid) - t0) / requests // ms per request
 */
export function cpuMs(pid: number | undefined): number {
  const stat = pid === undefined ? undefined : readStat(pid);
  return stat ? (stat.ticks * 1000) / CLOCK_TICKS_PER_SECOND : Number.NaN;
}

/**
 * Runs `start` (which spawns one workerd) and returns its result with the new
 * child's pid: the one workerd child that was not there before. Undefined when
 * there is no /proc or the difference is not exactly one process.
 *
 * @example const { value: mf, pid } = await withNewChild('workerd', async () => { const mf = new Miniflare(o); await mf.ready; return mf; });
 */
export async function withNewChild<T>(
  comm: string,
  start: () => Promise<T>,
): Promise<{ value: T; pid: number | undefined }> {
  const before = new Set(childPids(comm));
  const value = await start();
  const fresh = childPids(comm).filter((pid) => !before.has(pid));
  return { value, pid: fresh.length === 1 ? fresh[0] : undefined };
}
