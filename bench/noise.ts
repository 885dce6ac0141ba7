// Other people's work on this shared machine, measured so it can be kept out
// of the numbers: foreign CPU = the machine's busy time (/proc/stat) minus the
// CPU of the processes the benchmark runs on (this Node process, its workerd
// children, and the Redis and PostgreSQL servers it uses). Rounds start only
// when the machine is quiet, and a round during which others used more than a
// set share of a core is measured again.
import { readdirSync, readFileSync } from 'node:fs';
import { CLOCK_TICKS_PER_SECOND, childPids, cpuMs } from './cpu';

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

/** Pids of processes whose command name is one of `names` (any parent): the shared Redis and PostgreSQL. */
function pidsNamed(names: readonly string[]): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (names.includes(comm)) out.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** A reading to subtract a later one from. */
interface Reading {
  at: number;
  machine: number;
  own: number;
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
 * Measures foreign CPU. Call `refresh()` after starting workerd instances so they count as own.
 *
 * @example
 * const meter = createNoiseMeter(); const start = meter.read(); …; meter.since(start).cores // 0.03
 */
export function createNoiseMeter() {
  let own: number[] = [];
  const refresh = () => {
    own = [process.pid, ...childPids('workerd'), ...pidsNamed(['redis-server', 'postgres'])];
  };
  refresh();
  const read = (): Reading => ({
    at: performance.now(),
    machine: machineBusyMs(),
    // A process that exits between readings (a PostgreSQL backend) drops out: its CPU reads as foreign.
    own: own.reduce((sum, pid) => sum + (cpuMs(pid) || 0), 0),
  });
  const since = (start: Reading): Foreign => {
    const now = read();
    const wallMs = now.at - start.at;
    const cpuMs = Math.max(0, now.machine - start.machine - (now.own - start.own));
    return { cpuMs, wallMs, cores: wallMs > 0 ? cpuMs / wallMs : 0 };
  };
  return {
    refresh,
    read,
    since,
    /**
     * Waits until others keep less than `cores` busy over a 300 ms sample, at most `maxWaitMs`;
     * resolves with the time waited and the last sample.
     */
    async quiet(cores: number, maxWaitMs: number, signal?: AbortSignal) {
      const start = performance.now();
      for (;;) {
        const before = read();
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
