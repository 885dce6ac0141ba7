// Other people's work on this shared machine, measured so it can be kept out
// of the numbers: foreign CPU = the machine's busy time (/proc/stat, steal
// included) minus the CPU of the processes the benchmark runs on: this Node
// process, its workerd children, Redis, and the PostgreSQL backends of the
// benchmark's own database (others' tests use the same PostgreSQL server, and
// their backends are foreign). Rounds start only when the machine is quiet,
// and a round during which others used more than a set share of a core is
// measured again.
import { readdirSync, readFileSync } from 'node:fs';
import { CLOCK_TICKS_PER_SECOND, cpuMs } from './cpu';

/** Busy CPU time of the whole machine so far, ms (all cores; NaN without /proc). */
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

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // exited meanwhile, or no /proc
  }
}

/** Pids of the benchmark's processes, found afresh (PostgreSQL backends come and go). */
function ownPids(database: string | undefined): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const stat = read(`/proc/${e}/stat`);
    if (!stat) continue;
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const pid = Number(e);
    if (pid === process.pid || (comm === 'workerd' && ppid === process.pid) || comm === 'redis-server') {
      out.push(pid);
    } else if (comm === 'postgres' && database) {
      // A backend's title names its database: "postgres: 15/main: postgres edge_auth_bench_… 127.0.0.1(…) idle".
      if (read(`/proc/${e}/cmdline`)?.includes(database)) out.push(pid);
    }
  }
  return out;
}

/** A reading to measure from. */
interface Reading {
  at: number;
  machine: number;
  own: Map<number, number>;
}

/** Foreign CPU over a window. */
export interface Foreign {
  /** ms of CPU used by processes that are not the benchmark's. */
  cpuMs: number;
  wallMs: number;
  /** cpuMs ÷ wallMs: how many cores others kept busy, on average. */
  cores: number;
}

/**
 * Measures foreign CPU; `database` names the benchmark's PostgreSQL database (its backends are ours).
 *
 * @example
 * const meter = createNoiseMeter({ database: 'edge_auth_bench_1a2b' }); const start = meter.read(); …; meter.since(start).cores // 0.03
 */
export function createNoiseMeter(options: { database?: string } = {}) {
  const readNow = (): Reading => {
    const own = new Map<number, number>();
    for (const pid of ownPids(options.database)) {
      const ms = cpuMs(pid);
      if (Number.isFinite(ms)) own.set(pid, ms);
    }
    return { at: performance.now(), machine: machineBusyMs(), own };
  };
  const since = (start: Reading): Foreign => {
    const now = readNow();
    let ownMs = 0;
    // A process born in the window counts whole; one that exited in it is lost (reads as foreign).
    for (const [pid, ms] of now.own) ownMs += ms - (start.own.get(pid) ?? 0);
    const wallMs = now.at - start.at;
    const cpu = Math.max(0, now.machine - start.machine - ownMs);
    return { cpuMs: cpu, wallMs, cores: wallMs > 0 ? cpu / wallMs : 0 };
  };
  return {
    read: readNow,
    since,
    /**
     * Waits until others keep fewer than `cores` busy over a 300 ms sample, at most `maxWaitMs`;
     * resolves with the time waited and the last sample.
     */
    async quiet(cores: number, maxWaitMs: number, signal?: AbortSignal) {
      const start = performance.now();
      for (;;) {
        const before = readNow();
        await new Promise((r) => setTimeout(r, 300));
        const sample = since(before);
        const waited = performance.now() - start;
        if (!Number.isFinite(sample.cores) || sample.cores < cores || waited >= maxWaitMs)
          return { waitedMs: waited, sample };
        signal?.throwIfAborted();
      }
    },
  };
}

export type NoiseMeter = ReturnType<typeof createNoiseMeter>;
