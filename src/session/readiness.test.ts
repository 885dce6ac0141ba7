import { describe, expect, it } from 'vitest';
import { createReadinessProber, READINESS_MAX_AGE_MS } from './readiness';

/** A prober on counting checks that fail while their flag says so, with a controlled clock. */
function probed() {
  const clock = { now: 1_000_000 };
  const calls = { redis: 0, database: 0 };
  const down = { redis: false, database: false };
  const lines: string[] = [];
  let release = () => {};
  let held: Promise<void> | undefined;
  const check = (name: 'redis' | 'database') => async () => {
    calls[name]++;
    if (held) await held;
    if (down[name]) throw new Error(`connect ECONNREFUSED https://user:secret@${name}.example`);
  };
  const readiness = createReadinessProber({
    checks: { redis: check('redis'), database: check('database') },
    now: () => clock.now,
    waitMs: 4_000,
    log: (line) => lines.push(line),
  });
  const hold = () => {
    held = new Promise<void>((r) => (release = r));
    return () => {
      held = undefined;
      release();
    };
  };
  return { readiness, clock, calls, down, lines, hold };
}

describe('readiness', () => {
  it('concurrent and repeated calls within the freshness window share one probe', async () => {
    const p = probed();
    const release = p.hold();
    const burst = Array.from({ length: 20 }, () => p.readiness());
    release();
    const results = await Promise.all(burst);
    expect(results.every((r) => r.ready)).toBe(true);
    for (let i = 0; i < 10; i++) {
      p.clock.now += (READINESS_MAX_AGE_MS - 1) / 10;
      expect((await p.readiness()).ready).toBe(true);
    }
    expect(p.calls).toEqual({ redis: 1, database: 1 });
    p.clock.now += 1;
    await p.readiness();
    expect(p.calls).toEqual({ redis: 2, database: 2 });
  });

  it('names the dependency that is down in the log only, without what its error carried', async () => {
    const p = probed();
    p.down.redis = true;
    expect(await p.readiness()).toEqual({ ready: false, dependencies: { redis: 'down', database: 'up' } });
    expect(p.lines).toHaveLength(1);
    expect(p.lines[0]).toMatch(/^edge-auth: readiness: redis is down: /);
    expect(p.lines.join('\n')).not.toContain('secret');
    // A result that is not ready is kept as long as a ready one, then probed again.
    p.down.redis = false;
    expect((await p.readiness()).ready).toBe(false);
    p.clock.now += READINESS_MAX_AGE_MS;
    expect(await p.readiness()).toEqual({ ready: true, dependencies: { redis: 'up', database: 'up' } });
    expect(p.lines).toHaveLength(1);
  });

  it('a check that throws synchronously reads as down', async () => {
    const readiness = createReadinessProber({
      checks: {
        redis: () => {
          throw new Error('not configured');
        },
        database: async () => {},
      },
      now: () => 0,
      waitMs: 100,
      log: () => {},
    });
    expect(await readiness()).toEqual({ ready: false, dependencies: { redis: 'down', database: 'up' } });
  });
});
