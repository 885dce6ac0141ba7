// The soak's resource checks: no row-lock waits while the load ran, each
// isolate's memory bounded, and the L1 bound holding.
import type { Check, SoakFigures } from './checks';
import type { SoakObservations } from './observations';

const mib = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '?');
const series = (s: { start: number; middle: number; end: number }) =>
  `${mib(s.start)} → ${mib(s.middle)} → ${mib(s.end)}`;

// The memory bounds.
// RSS: workerd's native memory grows with the requests it serves whatever the
// Worker does (the control, isolates.ts), so an isolate's growth is compared with the control
// isolate's over as many requests. Beyond that, what edge-auth keeps is its L1
// (at most min(users, L1_CACHE_MAX_ENTRIES) sessions of about 1 KB: under 1 MiB
// here) and per-isolate clients; the rest is V8 growing its heap before a major
// GC and the allocator keeping freed pages, a few MiB to a few tens. Hence
// +30 MiB over the control, which a leak of 2 KB per request would exceed on
// ~15,000 requests per isolate.
// Heap: the live JS heap after a full GC holds exactly what the Worker keeps,
// so its bound is tight: 4 MiB covers the L1 filling with the run's sessions
// and V8's own bookkeeping; a leak of 250 bytes per request would pass it on
// ~17,000 requests per isolate.

/**
 * Locks, memory and the L1 probe, judged.
 * @example resourceChecks(observed, figures).every((c) => c.ok)
 */
export function resourceChecks(o: SoakObservations, f: SoakFigures): Check[] {
  const rssLimit = o.settings.rssGrowthLimitMiB;
  const heapLimit = o.settings.heapGrowthLimitMiB;
  const growth = (s: { start: number; end: number }) => s.end - s.start;
  const control = o.memory.find((m) => m.control);
  const workers = o.memory.filter((m) => !m.control);
  const controlGrowth = control ? growth(control.rss) : Number.NaN;
  const probe = o.probe;
  const checks: Check[] = [
    {
      name: 'no row-lock waits',
      ok: f.locks.samples > 0 && f.locks.failed === 0 && f.locks.notGranted === 0 && f.locks.lockWaits === 0,
      detail: `${f.locks.samples} samples (${f.locks.failed} failed): ${f.locks.notGranted} ungranted locks, ${f.locks.lockWaits} backends waiting on a Lock`,
    },
    {
      name: 'isolate RSS bounded',
      ok: workers.every((m) => growth(m.rss) - controlGrowth <= rssLimit),
      detail:
        `${workers.map((m) => `isolate ${m.isolate} ${series(m.rss)} MiB (${m.requests} requests)`).join('; ')}; ` +
        `control ${control ? `${series(control.rss)} MiB (${control.requests} requests)` : 'missing'}; ` +
        `limit: growth ≤ the control's + ${rssLimit} MiB`,
    },
    {
      name: 'Worker heap bounded',
      ok: workers.every((m) => growth(m.heap) <= heapLimit),
      detail: `live JS heap after a full GC: ${workers.map((m) => `isolate ${m.isolate} ${series(m.heap)} MiB`).join('; ')}; limit +${heapLimit} MiB`,
    },
  ];
  if (probe) {
    checks.push({
      name: 'L1 bound holds',
      ok: probe.conclusive && probe.newest === 'l1' && probe.oldest !== 'l1',
      detail:
        `L1_CACHE_MAX_ENTRIES=${probe.maxEntries}, ${probe.maxEntries + 1} sessions in a row: newest served ` +
        `"${probe.newest}", first "${probe.oldest}" (evicted), in ${Math.round(probe.elapsedMs)} ms` +
        `${probe.conclusive ? '' : ' — longer than the L1 TTL, inconclusive'}`,
    });
  }
  return checks;
}
