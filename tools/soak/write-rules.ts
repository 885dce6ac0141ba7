// The last_login rule, checked per user against the write log (the database's
// clock, each row judged by the database itself) and the requests as sent (the host clock, which now() also reads):
//  1. consecutive writes are ≥ T apart (the database judges each row itself);
//  2. no two requests of the user more than T + L + 1 s apart without a write
//     between them (a write ≤ 1 s after the later one counts: its own claim), and
//     each window's write comes ≤ T + L + 1 s after the window's first request;
//  3. exactly one write per window the user sent in (pacing.ts derives why),
//     so rows = the sum over users of their active windows: not one more, not one less.
import type pg from 'pg';
import type { RequestRecord } from './load';
import type { WriteRow } from './observations';

/** How long after the request that caused it a write may land and still count as between (the "+ 1 s"). */
export const WRITE_SLACK_MS = 1000;

/** What the rule found over all users. */
export interface WriteRuleFindings {
  /** Sum over users of the windows they sent at least one request in. */
  expectedRows: number;
  /** Rows written for the measured users during the load. */
  rows: number;
  /** Windows without a write, and windows with more than one ("user#window: n"). */
  missed: string[];
  extra: string[];
  /** Writes of a measured user that fall in none of its windows (before its first request, …). */
  stray: number;
  /** Rows (any user, whole log) not ≥ T after the value they replaced, or not chained to it. */
  unspaced: number;
  unchained: number;
  /** Longest stretch of one user's requests with no write in it, and the users over the bound. */
  longestWriteFreeMs: number;
  overBound: string[];
  /** Longest delay from a window's first request to its write. */
  maxWriteDelayMs: number;
  /** T + L + 1 s. */
  boundMs: number;
}

export interface WriteRuleInput {
  records: RequestRecord[];
  /** Measured user ids by index (RequestRecord.user). */
  users: string[];
  /** The whole write log. */
  writes: WriteRow[];
  /** Only rows above this position belong to the measured load. */
  position: number;
  /** Epoch ms of window `k` of user `u` starting. */
  windowStart(u: number, k: number): number;
  touchIntervalSeconds: number;
  l1TtlSeconds: number;
}

/**
 * Applies the rule.
 *
 * @example
 * const f = checkWriteRule({ records, users, writes, position, windowStart, touchIntervalSeconds: 2, l1TtlSeconds: 2 });
 * f.rows === f.expectedRows && f.missed.length === 0
 */
export function checkWriteRule(input: WriteRuleInput): WriteRuleFindings {
  const boundMs = (input.touchIntervalSeconds + input.l1TtlSeconds + 1) * 1000;
  const index = new Map(input.users.map((id, u) => [id, u]));
  const sent = input.users.map(() => [] as RequestRecord[]);
  for (const r of input.records) sent[r.user]?.push(r);
  const written = input.users.map(() => [] as number[]);
  let rows = 0;
  let stray = 0;
  for (const w of input.writes) {
    const u = index.get(w.userId);
    if (u === undefined) continue;
    if (w.seq <= input.position)
      stray++; // a measured user written before the load began
    else {
      written[u]?.push(w.valueMs);
      rows++;
    }
  }
  const findings: WriteRuleFindings = {
    expectedRows: 0,
    rows,
    missed: [],
    extra: [],
    stray,
    unspaced: input.writes.filter((w) => !w.spaced).length,
    unchained: input.writes.filter((w) => !w.chained).length,
    longestWriteFreeMs: 0,
    overBound: [],
    maxWriteDelayMs: 0,
    boundMs,
  };
  for (const [u, requests] of sent.entries()) {
    const writes = (written[u] ?? []).sort((a, b) => a - b);
    requests.sort((a, b) => a.sentAt - b.sentAt);
    perWindow(u, requests, writes, input, findings);
    const longest = longestWriteFree(
      requests.map((r) => r.sentAt),
      writes,
      WRITE_SLACK_MS,
    );
    findings.longestWriteFreeMs = Math.max(findings.longestWriteFreeMs, longest);
    if (longest > boundMs) findings.overBound.push(`${input.users[u]}: ${Math.round(longest)} ms`);
  }
  return findings;
}

/** Attributes each write to the window it falls in: [first request of window k, start of window k + 1). */
function perWindow(
  u: number,
  requests: RequestRecord[],
  writes: number[],
  input: WriteRuleInput,
  findings: WriteRuleFindings,
) {
  const first = new Map<number, number>();
  for (const r of requests) if (!first.has(r.window)) first.set(r.window, r.sentAt);
  const windows = [...first.keys()].sort((a, b) => a - b);
  findings.expectedRows += windows.length;
  let attributed = 0;
  for (const k of windows) {
    const from = first.get(k) as number;
    const to = input.windowStart(u, k + 1);
    const inside = writes.filter((t) => t >= from && t < to);
    attributed += inside.length;
    const name = `${input.users[u]}#${k}`;
    if (inside.length === 0) findings.missed.push(name);
    if (inside.length > 1) findings.extra.push(`${name}: ${inside.length}`);
    if (inside[0] !== undefined)
      findings.maxWriteDelayMs = Math.max(findings.maxWriteDelayMs, inside[0] - from);
  }
  findings.stray += writes.length - attributed;
}

/**
 * The longest span between two of the user's requests with no write between
 * them. A write landing up to `slackMs` after the later request still counts:
 * it is that request's own claim (a write always lands after the request that
 * caused it), so a user back from an idle gap is not a violation.
 */
function longestWriteFree(times: number[], writes: number[], slackMs: number): number {
  let longest = 0;
  let w = 0;
  let first = 0; // the first request after the latest write passed so far
  for (const [i, b] of times.entries()) {
    while (w < writes.length && (writes[w] as number) <= b + slackMs) {
      while (first < times.length && (times[first] as number) <= (writes[w] as number)) first++;
      w++;
    }
    if (first <= i) longest = Math.max(longest, b - (times[first] as number));
  }
  return longest;
}

/**
 * Every row of the write log, judged by the database itself: `forward` (the
 * new last_login is later than the one it replaced), `spaced` (by at least the
 * touch interval) and `chained` (the replaced value is the user's previous
 * logged one: no write escaped the log).
 *
 * @example (await readWrites(stack.pool, 2)).every((w) => w.forward) // true
 */
export async function readWrites(pool: pg.Pool, touchIntervalSeconds: number): Promise<WriteRow[]> {
  const { rows } = await pool.query<{
    seq: string;
    user_id: string;
    value_ms: number;
    old_ms: number | null;
    forward: boolean;
    spaced: boolean;
    chained: boolean;
  }>(
    `SELECT seq, user_id,
       extract(epoch FROM value)::float8 * 1000 AS value_ms,
       extract(epoch FROM old_value)::float8 * 1000 AS old_ms,
       (old_value IS NULL OR value > old_value) AS forward,
       (old_value IS NULL OR value - old_value >= make_interval(secs => $1)) AS spaced,
       (old_value IS NOT DISTINCT FROM lag(value) OVER (PARTITION BY user_id ORDER BY seq)) AS chained
     FROM last_login_writes ORDER BY seq`,
    [touchIntervalSeconds],
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    userId: r.user_id,
    valueMs: r.value_ms,
    oldMs: r.old_ms,
    forward: r.forward,
    spaced: r.spaced,
    chained: r.chained,
  }));
}
