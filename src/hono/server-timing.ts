/**
 * Collects the stages of one request for the `Server-Timing` header.
 *
 * @example
 * const timing = new ServerTiming();
 * const start = performance.now();
 * const claims = await verify(token);
 * timing.add('token', performance.now() - start);
 * timing.note('cache', 'hit');
 * response.headers.set('Server-Timing', timing.header());
 */
export class ServerTiming {
  private readonly entries: { name: string; dur?: number; desc?: string }[] = [];

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

  /** Adds another collector's stages after these. */
  append(other: ServerTiming | undefined): void {
    for (const e of other?.entries ?? []) {
      if (e.dur !== undefined) this.add(e.name, e.dur, e.desc);
      else if (e.desc !== undefined) this.note(e.name, e.desc);
    }
  }

  /** Each timed stage in ms, one decimal (for the log line). */
  durations(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.entries) if (e.dur !== undefined) out[e.name] = Math.round(e.dur * 10) / 10;
    return out;
  }

  header(): string {
    let header = '';
    for (const e of this.entries) {
      if (header) header += ', ';
      header += e.name;
      if (e.dur !== undefined) header += `;dur=${e.dur.toFixed(1)}`;
      if (e.desc !== undefined) header += `;desc="${e.desc}"`;
    }
    return header;
  }
}
