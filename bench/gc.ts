// The benchmark's own garbage collections. One Node process sends every burst
// and plays the origin, so a major collection in it stalls a burst as much as
// another process taking the CPU would: the instrument paused, not the Worker.
// A block whose bursts overlapped such a pause is measured again (bench/run.ts),
// like one that others disturbed (bench/noise.ts).
import { constants, PerformanceObserver } from 'node:perf_hooks';

/** A collection's pause, on the `performance.now()` clock. */
interface Pause {
  start: number;
  end: number;
  major: boolean;
}

/**
 * Records this process's GC pauses from now on (keeps the last 10,000).
 *
 * @example
 * const gc = createGcMeter(); const t0 = performance.now(); …; gc.between(t0, performance.now()) // { pausedMs: 1.2, majorMs: 0 }
 */
export function createGcMeter() {
  const pauses: Pause[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      pauses.push({
        start: entry.startTime,
        end: entry.startTime + entry.duration,
        major: kind === constants.NODE_PERFORMANCE_GC_MAJOR,
      });
    }
    if (pauses.length > 10_000) pauses.splice(0, pauses.length - 10_000);
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    /**
     * GC pause time within [from, to] (`performance.now()` readings), all kinds and major only, ms.
     * Entries arrive a tick after their collection: ask once the window is some ms past.
     */
    between(from: number, to: number): { pausedMs: number; majorMs: number } {
      let pausedMs = 0;
      let majorMs = 0;
      for (const p of pauses) {
        const ms = Math.min(p.end, to) - Math.max(p.start, from);
        if (ms <= 0) continue;
        pausedMs += ms;
        if (p.major) majorMs += ms;
      }
      return { pausedMs, majorMs };
    },
    stop: () => observer.disconnect(),
  };
}

export type GcMeter = ReturnType<typeof createGcMeter>;
