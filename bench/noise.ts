// Disturbances kept out of the figures on a shared machine.
// Others' CPU: the machine's busy time (/proc/stat) minus the processes the
// benchmark runs on (this Node process and every process it started: workerd,
// gunicorn and its worker; Redis; and the PostgreSQL backends of its own
// database: others' tests use the same server).
// Rounds start only when the machine is quiet, and are measured again when
// others used more than a share of a core meanwhile.
// Its own pauses: one Node process sends every burst and plays the origin, so a
// major garbage collection in it stalls a burst like another process taking
// the CPU would (the instrument paused, not the Worker); such rounds are
// measured again too.
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { machineBusyMs, processes, readProc } from '../tools/harness/proc';

/** A reading to measure from. */
interface Reading {
  at: number;
  machine: number;
  own: Map<number, number>;
}

/** Others' CPU over a window: ms, and ÷ wall time = cores kept busy on average. */
export interface Foreign {
  cpuMs: number;
  cores: number;
}

/**
 * Measures others' CPU; `database` names the benchmark's PostgreSQL database (its backends are ours).
 *
 * @example
 * const meter = createNoiseMeter({ database: 'edge_auth_bench_1a2b' }); const start = meter.read(); …; meter.since(start).cores // 0.03
 */
export function createNoiseMeter(options: { database: string }) {
  const read = (): Reading => {
    const own = new Map<number, number>();
    const all = processes();
    const parent = new Map(all.map((p) => [p.pid, p.ppid]));
    const descends = (pid: number) => {
      // Walks up to init; the depth bound guards against a pid reused in between the reads.
      for (let at = parent.get(pid), depth = 0; at !== undefined && at > 1 && depth < 64; depth++) {
        if (at === process.pid) return true;
        at = parent.get(at);
      }
      return false;
    };
    for (const p of all) {
      const ours =
        p.pid === process.pid ||
        descends(p.pid) ||
        p.comm === 'redis-server' ||
        // A backend's title names its database: "postgres: 15/main: postgres edge_auth_bench_… idle".
        (p.comm === 'postgres' && readProc(p.pid, 'cmdline')?.includes(options.database));
      if (ours && Number.isFinite(p.cpuMs)) own.set(p.pid, p.cpuMs);
    }
    return { at: performance.now(), machine: machineBusyMs(), own };
  };
  const since = (start: Reading): Foreign => {
    const now = read();
    let ownMs = 0;
    // A process born in the window counts whole; one that exited in it is lost (reads as foreign).
    for (const [pid, ms] of now.own) ownMs += ms - (start.own.get(pid) ?? 0);
    const wallMs = now.at - start.at;
    const cpu = Math.max(0, now.machine - start.machine - ownMs);
    return { cpuMs: cpu, cores: wallMs > 0 ? cpu / wallMs : 0 };
  };
  return {
    read,
    since,
    /** Waits until others keep fewer than `cores` busy over a 300 ms sample, at most `maxWaitMs`; resolves with the time waited. */
    async quiet(cores: number, maxWaitMs: number, signal?: AbortSignal): Promise<number> {
      const start = performance.now();
      for (;;) {
        const before = read();
        await new Promise((r) => setTimeout(r, 300));
        const sample = since(before);
        const waited = performance.now() - start;
        if (!Number.isFinite(sample.cores) || sample.cores < cores || waited >= maxWaitMs) return waited;
        signal?.throwIfAborted();
      }
    },
  };
}

export type NoiseMeter = ReturnType<typeof createNoiseMeter>;

/**
 * Records this process's major GC pauses from now on (the last 10,000).
 * @example const gc = createGcMeter(); const t0 = performance.now(); …; gc.majorMs(t0, performance.now()) // 0
 */
export function createGcMeter() {
  const pauses: { start: number; end: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if ((entry as { detail?: { kind?: number } }).detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR)
        continue;
      pauses.push({ start: entry.startTime, end: entry.startTime + entry.duration });
    }
    if (pauses.length > 10_000) pauses.splice(0, pauses.length - 10_000);
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    /** Major GC pause time within [from, to] (`performance.now()`), ms. Entries arrive a tick late: ask some ms after. */
    majorMs: (from: number, to: number) =>
      pauses.reduce((ms, p) => ms + Math.max(0, Math.min(p.end, to) - Math.max(p.start, from)), 0),
    stop: () => observer.disconnect(),
  };
}

export type GcMeter = ReturnType<typeof createGcMeter>;
