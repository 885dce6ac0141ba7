// Process figures from Linux's /proc, for the benchmark and the soak: a
// process's CPU time (utime + stime) and resident memory, every process with
// its parent, and the whole machine's busy time. NaN, null or empty where
// /proc cannot be read (not Linux): the callers then report "unknown".
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

/** One process as its /proc/<pid>/stat describes it. */
export interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime so far, ms (all threads; one clock tick of resolution). */
  cpuMs: number;
}

/**
 * A /proc file's text, or undefined when the process is gone or there is no /proc.
 * @example readProc(process.pid, 'cmdline')?.includes('node') // true
 */
export function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Parses /proc/<pid>/stat; `comm` is in parentheses and may itself hold spaces or ')'.
 * @example readStat(process.pid)?.comm // 'node'
 */
export function readStat(pid: number): ProcStat | undefined {
  const text = readProc(pid, 'stat');
  if (text === undefined) return undefined;
  const close = text.lastIndexOf(')');
  // After "pid (comm) ": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime …
  const fields = text.slice(close + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return {
    pid,
    comm: text.slice(text.indexOf('(') + 1, close),
    ppid: Number(fields[1]),
    cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND,
  };
}

/**
 * Every process readable now.
 * @example processes().filter((p) => p.comm === 'workerd' && p.ppid === process.pid)
 */
export function processes(): ProcStat[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  return names.filter((n) => /^\d+$/.test(n)).flatMap((n) => readStat(Number(n)) ?? []);
}

/**
 * CPU time a process has used so far, ms; NaN when it cannot be read. One tick is 10 ms at
 * USER_HZ=100: sum many deltas before dividing by requests.
 * @example const t0 = cpuMs(pid); … ; (cpuMs(pid) - t0) / requests // ms per request
 */
export function cpuMs(pid: number | undefined): number {
  return (pid === undefined ? undefined : readStat(pid))?.cpuMs ?? Number.NaN;
}

/**
 * Resident set size of a process in MiB (`VmRSS`), null when it cannot be read.
 * @example rssMiB(isolate.pid) // 61.3
 */
export function rssMiB(pid: number): number | null {
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readProc(pid, 'status') ?? '')?.[1];
  return kb === undefined ? null : Number(kb) / 1024;
}

/**
 * Busy CPU time of the whole machine so far, ms over all cores, steal included; NaN without /proc.
 * @example const t0 = machineBusyMs(); …; (machineBusyMs() - t0) / wallMs // cores busy
 */
export function machineBusyMs(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    // cpu user nice system idle iowait irq softirq steal …
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    const ticks = [user, nice, system, irq, softirq, steal].reduce<number>((a, b) => a + (b ?? 0), 0);
    return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}
