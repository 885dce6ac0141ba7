/**
 * Workers-safe single flight: concurrent callers with the same key share the
 * first caller's result, but only as plain data and only for a bounded wait.
 *
 * On Workers a promise tied to one request's I/O may never settle for another
 * request (the first may be cancelled), so a waiter never awaits the leader's
 * work directly: it waits on a signal for at most `waitMs`, then does the work
 * itself. Results must be plain values (no Response, no stream).
 *
 * @example
 * const jwksOnce = createCoalescer<string>({ waitMs: 2000 });
 * const text = await jwksOnce('jwks', () => fetch(url).then((r) => r.text()));
 */
export function createCoalescer<T>(options: { waitMs: number; now?: () => number }) {
  const now = options.now ?? Date.now;
  interface Flight {
    startedAt: number;
    settled: Promise<void>;
    value?: { ok: true; value: T };
  }
  const flights = new Map<string, Flight>();

  return async function coalesce(key: string, work: () => Promise<T>): Promise<T> {
    const current = flights.get(key);
    if (current && now() - current.startedAt < options.waitMs) {
      await boundedWait(current.settled, options.waitMs);
      if (current.value) return current.value.value;
      // The leader failed, is slow or its request is gone: go alone.
      return work();
    }

    let settle = () => {};
    const flight: Flight = { startedAt: now(), settled: new Promise<void>((r) => (settle = r)) };
    flights.set(key, flight);
    try {
      const value = await work();
      flight.value = { ok: true, value };
      return value;
    } finally {
      if (flights.get(key) === flight) flights.delete(key);
      settle();
    }
  };
}

async function boundedWait(signal: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([signal, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  // Workers' clearTimeout takes `number | null`, Node's takes `undefined`: pass only a real id.
  if (timer !== undefined) clearTimeout(timer);
}
