// The load generator: `concurrency` request loops, each sending the next
// request as soon as its previous one finished, to a user whose window is
// open (pacing.ts) and to the isolates in turn. Stops by itself at the request
// count, the deadline or an abort. A user's first request in a window goes
// first, so windows start when the schedule says.
import { servedLabel } from '../harness/format';
import type { Isolate } from './isolates';
import type { Pacing } from './pacing';

/** One request as the harness saw it. */
export interface RequestRecord {
  user: number;
  /** The user's window (pacing.ts) it was sent in. */
  window: number;
  isolate: number;
  /** Dispatch time, ms since the epoch (the host clock, which PostgreSQL's now() also reads). */
  sentAt: number;
  /** Dispatch to the last byte of the body. */
  ms: number;
  /** 0 when the request failed without an answer. */
  status: number;
  /** 200 from the echo origin. */
  ok: boolean;
  /** `Server-Timing` cache description: l1, hit, miss, degraded, or '' when absent. */
  served: string;
}

export interface LoadOptions {
  isolates: Isolate[];
  /** One token per user. */
  tokens: string[];
  pacing: Pacing;
  requests: number;
  concurrency: number;
  /** Every user is active in at least this many windows (default 1): caps a user's requests per window. */
  minWindows?: number;
  /** Epoch ms after which no request is sent. */
  deadline: number;
  signal?: AbortSignal;
  /** Called after each dispatch with the number sent so far (progress, mid-run samples). */
  onSent?: (sent: number) => void;
  /** A request without an answer after this long counts as failed. Default 30 s. */
  requestTimeoutMs?: number;
  /**
   * The control isolate (control.ts): after each request to the first isolate has
   * been answered, the same lane sends one request here, so both serve equally many.
   */
  control?: Isolate;
}

export interface LoadResult {
  /** Epoch ms the schedule is relative to. */
  startedAt: number;
  /** Epoch ms the last measured answer arrived (control requests not included). */
  endedAt: number;
  records: RequestRecord[];
  stoppedBy: 'count' | 'deadline' | 'abort';
  /** Requests sent to the control isolate, and how many of them failed. */
  control: { sent: number; failed: number };
}

/**
 * Runs the paced load to completion.
 *
 * @example
 * const load = await runLoad({ isolates, tokens, pacing, requests: 5000, concurrency: 32, deadline });
 * load.records.filter((r) => !r.ok).length // 0
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { isolates, tokens, pacing, requests, concurrency, deadline, signal } = options;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const users = tokens.length;
  const startedAt = Date.now();
  const lastWindow = new Int32Array(users).fill(-1);
  const inWindow = new Int32Array(users);
  // At most this many requests per user per window, so the requests spread over
  // at least `minWindows` windows however fast the machine is.
  const perWindow = Math.ceil(requests / (users * (options.minWindows ?? 1)));
  const records: RequestRecord[] = [];
  let sent = 0;
  const control = { sent: 0, failed: 0 };
  let lastAnswerAt = startedAt;
  let stoppedBy: LoadResult['stoppedBy'] = 'count';

  /** The user to send for now, or how long until a window with room opens. */
  const pick = (rel: number): { user: number; window: number } | { waitMs: number } => {
    let fresh = -1;
    let freshStart = Number.POSITIVE_INFINITY;
    const open: number[] = [];
    let waitMs = Number.POSITIVE_INFINITY;
    for (let u = 0; u < users; u++) {
      const k = pacing.windowAt(u, rel);
      const current = k >= 0 && lastWindow[u] === k;
      if (k < 0 || (current && (inWindow[u] as number) >= perWindow)) {
        // Between windows, or this window's share is sent: the user's next window.
        waitMs = Math.min(waitMs, k < 0 ? pacing.untilNextMs(u, rel) : pacing.windowStartMs(u, k + 1) - rel);
        continue;
      }
      open.push(u);
      if (!current && pacing.windowStartMs(u, k) < freshStart) {
        fresh = u;
        freshStart = pacing.windowStartMs(u, k);
      }
    }
    const user = fresh >= 0 ? fresh : open[Math.floor(Math.random() * open.length)];
    if (user === undefined) return { waitMs };
    const window = pacing.windowAt(user, rel);
    if (lastWindow[user] !== window) inWindow[user] = 0;
    lastWindow[user] = window;
    inWindow[user] = (inWindow[user] as number) + 1;
    return { user, window };
  };

  const send = async (user: number, window: number, sentAt: number) => {
    const isolate = isolates[sent % isolates.length] as Isolate;
    sent++;
    options.onSent?.(sent);
    const record: RequestRecord = {
      user,
      window,
      isolate: isolate.index,
      sentAt,
      ms: 0,
      status: 0,
      ok: false,
      served: '',
    };
    const start = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const answer = (async () => {
        const res = await isolate.fetch(`/api/orders?soak=${sent}`, tokens[user] as string);
        const body = await res.arrayBuffer();
        return { res, body };
      })();
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer in time')), timeoutMs);
      });
      const { res, body } = await Promise.race([answer, timeout]);
      record.status = res.status;
      // The echo origin marks its answers: anything else is the Worker's own answer.
      record.ok = res.status === 200 && res.headers.get('X-Demo-Origin') === 'yes' && body.byteLength > 0;
      record.served = servedLabel(res.headers.get('Server-Timing')) ?? '';
    } catch {
      record.ok = false;
    } finally {
      clearTimeout(timer);
      record.ms = performance.now() - start;
      records.push(record);
      lastAnswerAt = Date.now();
    }
    if (options.control && isolate === isolates[0]) await mirror(options.control, tokens[user] as string);
  };

  const mirror = async (target: Isolate, token: string) => {
    control.sent++;
    try {
      const res = await target.fetch(`/api/orders?control=${control.sent}`, token);
      await res.arrayBuffer();
      if (res.status !== 200) control.failed++;
    } catch {
      control.failed++;
    }
  };

  const loop = async () => {
    while (sent < requests) {
      if (signal?.aborted) {
        stoppedBy = 'abort';
        return;
      }
      const now = Date.now();
      if (now >= deadline) {
        stoppedBy = 'deadline';
        return;
      }
      const next = pick(now - startedAt);
      if ('waitMs' in next) {
        // Pacing: nobody's window is open; the next one opens in waitMs.
        await new Promise((r) => setTimeout(r, Math.max(1, Math.min(next.waitMs, deadline - now))));
        continue;
      }
      await send(next.user, next.window, now);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { startedAt, endedAt: lastAnswerAt, records, stoppedBy, control };
}
