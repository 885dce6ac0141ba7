// What a soak run observed, as plain data: run.ts fills it, checks.ts judges
// it, report.ts prints it. Nothing here is computed.
import type { NeonStats } from '../../dev/neon/server';
import type { UpstashStats } from '../../dev/upstash/server';
import type { RequestRecord } from './load';
import type { LockSamples } from './locks';
import type { L1Probe } from './probe';

/** The knobs of a run. */
export interface SoakSettings {
  /** Measured requests (warm-up and probe not included). */
  requests: number;
  users: number;
  concurrency: number;
  /** workerd isolates; with `boundedL1Entries`, the last one runs with that L1 bound. */
  isolates: number;
  /** `L1_CACHE_MAX_ENTRIES` of the last isolate (0: every isolate on the default). */
  boundedL1Entries: number;
  touchIntervalSeconds: number;
  sessionCacheTtlSeconds: number;
  l1TtlSeconds: number;
  /** Requests are spread over at least this many windows per user (a cap per user and window). */
  minWindows: number;
  /** The load stops sending after this long even if `requests` were not all sent. */
  timeLimitSeconds: number;
  /** Unmeasured requests per isolate before the run (JIT, sockets, pools). */
  warmupRequests: number;
  /** Allowed RSS growth of an edge-auth isolate beyond the control's, after warm-up to the end (checks.ts says why). */
  rssGrowthLimitMiB: number;
  /** Allowed growth of an edge-auth isolate's live JS heap, after warm-up to the end (checks.ts says why). */
  heapGrowthLimitMiB: number;
}

/** One row of the write log, with the database's own judgement of it. */
export interface WriteRow {
  seq: number;
  userId: string;
  /** The last_login written (PostgreSQL's now() of the UPDATE), ms since the epoch. */
  valueMs: number;
  /** The last_login it replaced; null for a first login. */
  oldMs: number | null;
  /** value > old_value (or no old value). */
  forward: boolean;
  /** value − old_value ≥ the touch interval (or no old value). */
  spaced: boolean;
  /** old_value is the user's previous logged value: nothing wrote last_login outside the log. */
  chained: boolean;
}

/** A figure in MiB after warm-up, at half the requests, and after the load settled (NaN: unreadable). */
export interface MemorySamples {
  start: number;
  middle: number;
  end: number;
}

/** One workerd process's memory over the run. */
export interface IsolateMemory {
  isolate: number;
  note: string;
  pid: number;
  /** The control isolate (control.ts), not edge-auth. */
  control: boolean;
  /** Measured requests it served. */
  requests: number;
  /** VmRSS of the workerd process. */
  rss: MemorySamples;
  /** The Worker's live JS heap after a full GC, ArrayBuffer backing stores included (heap.ts). */
  heap: MemorySamples;
}

/** One isolate's captured output. */
export interface IsolateOutput {
  isolate: number;
  note: string;
  pid: number;
  stdout: string[];
  stderr: string[];
  /** Index of the first stdout line printed during the measured load. */
  measuredFrom: number;
}

export interface SoakObservations {
  settings: SoakSettings;
  pacing: { activeMs: number; periodMs: number; marginMs: number };
  /** Measured users in order (index = RequestRecord.user) and their window offsets. */
  schedule: { id: string; phaseMs: number }[];
  load: {
    startedAt: number;
    endedAt: number;
    stoppedBy: 'count' | 'deadline' | 'abort';
    records: RequestRecord[];
    control: { sent: number; failed: number };
  };
  /** Warm-up, probe and heap-sampling requests to edge-auth's isolates (they print request lines too). */
  requestsSentOutsideLoad: number;
  /** `/healthz` requests sent while the heap was sampled after the counters were reset. */
  pokesDuringLoad: number;
  /** Write-log rows with seq above this were written during the measured load. */
  writeLogPosition: number;
  /** The whole write log (warm-up included). */
  writes: WriteRow[];
  /** Server counters over the measured load (reset after the warm-up settled). */
  neon: NeonStats;
  upstash: UpstashStats;
  locks: LockSamples;
  /** Every workerd process, edge-auth's and the control. */
  memory: IsolateMemory[];
  probe: L1Probe | undefined;
  output: IsolateOutput[];
  /** Secret values by name, for the log scan (never printed). */
  secrets: Record<string, string>;
  /** Every token minted for the run. */
  tokens: string[];
  redisKind: string;
  postgresVersion: string;
}
