import { describe, expect, it } from 'vitest';
import type { RequestRecord } from './load';
import type { WriteRow } from './observations';
import { createPacing } from './pacing';
import { checkWriteRule, type WriteRuleInput } from './write-rules';

// T = 2 s, L = 2 s: windows of 500 ms every 4,500 ms; one user, starting at 0.
const T0 = 1_000_000;
const pacing = createPacing({ users: 1, touchIntervalSeconds: 2, l1TtlSeconds: 2 });
const request = (sentAt: number): RequestRecord => ({
  user: 0,
  window: pacing.windowAt(0, sentAt - T0),
  isolate: 0,
  sentAt,
  ms: 1,
  status: 200,
  ok: true,
  served: 'l1',
});
let seq = 0;
const write = (valueMs: number, more: Partial<WriteRow> = {}): WriteRow => ({
  seq: ++seq,
  userId: 'u',
  valueMs,
  oldMs: null,
  forward: true,
  spaced: true,
  chained: true,
  ...more,
});
const input = (records: RequestRecord[], writes: WriteRow[]): WriteRuleInput => ({
  records,
  users: ['u'],
  writes,
  position: 0,
  windowStart: (u, k) => T0 + pacing.windowStartMs(u, k),
  touchIntervalSeconds: 2,
  l1TtlSeconds: 2,
});
// Requests every 100 ms through the first 500 ms of windows 0, 1 and 2.
const busy = [0, 1, 2].flatMap((k) => [0, 100, 200, 300, 400].map((ms) => request(T0 + k * 4500 + ms)));

describe('the last_login rule', () => {
  it('one write per window a user sent in: rows = windows, nothing missed or extra', () => {
    const f = checkWriteRule(input(busy, [write(T0 + 30), write(T0 + 4530), write(T0 + 9030)]));
    expect(f).toMatchObject({ expectedRows: 3, rows: 3, missed: [], extra: [], stray: 0, overBound: [] });
    expect(f.maxWriteDelayMs).toBe(30);
    expect(f.boundMs).toBe(5000);
  });

  it('a window without a write is missed; a second write in one window is extra', () => {
    const f = checkWriteRule(input(busy, [write(T0 + 30), write(T0 + 9030), write(T0 + 9400)]));
    expect(f.missed).toEqual(['u#1']);
    expect(f.extra).toEqual(['u#2: 2']);
    expect(f.rows).toBe(3);
  });

  it('a write before the first request, or of a measured user before the load, is stray', () => {
    const f = checkWriteRule({ ...input(busy, [write(T0 - 5), write(T0 + 30)]), position: 0 });
    expect(f.stray).toBe(1);
    const early = checkWriteRule({ ...input(busy, [write(T0 - 5), write(T0 + 30)]), position: seq - 1 });
    expect(early.stray).toBe(1);
  });

  it('a user back after an idle gap is not a violation: its own claim lands just after it', () => {
    // Windows 0 and 2 only: 9 s between requests, each window's write 40 ms after its first request.
    const idle = busy.filter((r) => r.window !== 1);
    const f = checkWriteRule(input(idle, [write(T0 + 40), write(T0 + 9040)]));
    expect(f.overBound).toEqual([]);
    expect(f.longestWriteFreeMs).toBeLessThan(500);
  });

  it('requests spanning more than T + L + 1 s with no write between them break the bound', () => {
    // Steady requests every 250 ms for 8 s, written only at the start.
    const steady = Array.from({ length: 33 }, (_, i) => request(T0 + i * 250));
    const f = checkWriteRule(input(steady, [write(T0 + 10)]));
    expect(f.longestWriteFreeMs).toBe(8000 - 250);
    expect(f.overBound).toEqual(['u: 7750 ms']);
  });

  it('counts rows the database judged unspaced or not chained to the previous value', () => {
    const f = checkWriteRule(
      input(busy, [
        write(T0 + 30),
        write(T0 + 4530, { spaced: false }),
        write(T0 + 9030, { chained: false }),
      ]),
    );
    expect(f).toMatchObject({ unspaced: 1, unchained: 1 });
  });
});

describe('the pacing', () => {
  it('windows last T/4 and the idle gap between them exceeds max(T, L) by the margin', () => {
    const p = createPacing({ users: 200, touchIntervalSeconds: 2, l1TtlSeconds: 2 });
    expect(p).toMatchObject({ activeMs: 500, marginMs: 2000, periodMs: 4500 });
    expect(p.periodMs - p.activeMs).toBe(2000 + p.marginMs);
    // User 100 starts half a period late.
    expect(p.phaseMs(100)).toBe(2250);
    expect(p.windowAt(100, 2249)).toBe(-1);
    expect(p.windowAt(100, 2250)).toBe(0);
    expect(p.windowAt(100, 2749)).toBe(0);
    expect(p.windowAt(100, 2750)).toBe(-1);
    expect(p.untilNextMs(100, 2750)).toBe(4000);
    expect(p.windowAt(100, 6750)).toBe(1);
    expect(p.windowStartMs(100, 1)).toBe(6750);
  });
});
