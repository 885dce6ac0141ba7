/**
 * Collects the stages of one request for the `Server-Timing` header.
 *
 * @example
 * const timing = new ServerTiming();
 * const claims = await timing.measure('token', () => verify(token));
 * timing.note('cache', 'hit');
 * response.headers.set('Server-Timing', timing.header());
 */
export class ServerTiming {
  private readonly entries: { name: string; dur?: number; desc?: string }[] = [];

  async measure<T>(name: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.add(name, performance.now() - start);
    }
  }

  add(name: string, durationMs: number, desc?: string): void {
    const existing = this.entries.find((e) => e.name === name);
    if (existing) {
      existing.dur = (existing.dur ?? 0) + durationMs;
      if (desc !== undefined) existing.desc = desc;
    } else {
      this.entries.push({ name, dur: durationMs, ...(desc === undefined ? {} : { desc }) });
    }
  }

  /** Attaches a description (e.g. `hit`/`miss`) to a stage, creating it if needed. */
  note(name: string, desc: string): void {
    const existing = this.entries.find((e) => e.name === name);
    if (existing) existing.desc = desc;
    else this.entries.push({ name, desc });
  }

  /** Each timed stage in ms, one decimal (for the log line). */
  durations(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.entries) if (e.dur !== undefined) out[e.name] = Math.round(e.dur * 10) / 10;
    return out;
  }

  header(): string {
    return this.entries
      .map((e) => {
        let part = e.name;
        if (e.dur !== undefined) part += `;dur=${e.dur.toFixed(1)}`;
        if (e.desc !== undefined) part += `;desc="${e.desc}"`;
        return part;
      })
      .join(', ');
  }
}
