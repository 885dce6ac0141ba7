// A lagging read replica for the local Upstash server, as a Global database
// has them: writes apply to the primary (the real Redis) at once, while read
// commands are answered from a view that shows them only after a lag, or in
// 'manual' mode only once the test calls sync(). Nothing sleeps: visibility is
// decided when a read arrives.
//
// How: before a write, the server snapshots (GET + PTTL) every key the write
// names, and after it snapshots them again; each key keeps its versions, and a
// read takes the newest version visible at that moment. Keys no pending write
// names are read from the primary. Limits, on purpose: only string keys are
// modelled (another type is read from the primary); KEYS and other reads
// outside GET, MGET, EXISTS, TTL and PTTL go to the primary; a pipeline or
// transaction that writes runs wholly on the primary (its reads see the
// primary); a write naming no key (FLUSHALL) reaches the replica at once.
//
// Read-your-writes: like Upstash, every answer carries `upstash-sync-token`
// (the primary's write sequence after a write, else the client's own token
// back), and a read that sends one sees at least the writes up to it. The
// @upstash/redis client sends it by default (`readYourWrites`), so one client
// always sees its own writes; another client sees them after the lag.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkLatency, parseJson, readBody, sendJson } from '../http';
import type { RedisEngine, Reply } from './engine';
import { ReplyError } from './engine';

/** How the replica lags: not at all, by `ms`, or until `sync()`. */
export type ReplicaLag = { mode: 'off' } | { mode: 'lag'; ms: number } | { mode: 'manual' };

/** The header Upstash and its client use for read-your-writes. */
export const SYNC_TOKEN_HEADER = 'upstash-sync-token';

/** Answers with the sync token to send back, absent while the replica is off. */
export interface ReplicaAnswer<R> {
  replies: R;
  syncToken?: string;
}

/** The replica model in front of an engine. */
export interface Replica {
  lag(): ReplicaLag;
  /** Changes the lag; what was pending is dropped (the replica has caught up). */
  setLag(lag: ReplicaLag): void;
  /** Applies every pending write to the replica now. */
  sync(): void;
  /** Writes pending on the replica, by key. */
  pending(): number;
  pipeline(commands: string[][], syncToken?: string): Promise<ReplicaAnswer<Reply[]>>;
  transaction(commands: string[][], syncToken?: string): Promise<ReplicaAnswer<Reply[] | ReplyError>>;
  /** Serves `GET /__replica`, `POST /__replica {"mode", "ms"?}` and `POST /__replica/sync`; false for other paths. */
  handleControl(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean>;
}

/** Answered from the replica's view; their arguments after the name are keys. */
const VIEW_READS = new Set(['GET', 'MGET', 'EXISTS', 'TTL', 'PTTL']);
/** Neither a write nor modelled: run on the primary. */
const PRIMARY_READS = new Set(['PING', 'ECHO', 'KEYS', 'SCAN', 'TIME', 'DBSIZE']);

interface Version {
  /** The primary's write sequence that made it (0: what the replica had before). */
  seq: number;
  /** When the replica shows it (ms); Infinity until sync() in manual mode. */
  visibleAt: number;
  value: Buffer | string | null;
  /** Absolute expiry (ms), null for none. */
  expiresAt: number | null;
}

const nameOf = (args: readonly string[]) => args[0]?.toUpperCase() ?? '';
const isWrite = (args: readonly string[]) =>
  !VIEW_READS.has(nameOf(args)) && !PRIMARY_READS.has(nameOf(args));

/** The keys a write names: script keys, every argument of DEL-like commands, else the first. */
function writtenKeys(args: readonly string[]): string[] {
  const name = nameOf(args);
  if (name === 'EVAL' || name === 'EVALSHA' || name === 'FCALL') {
    const count = Number(args[2]);
    return Number.isInteger(count) && count > 0 ? args.slice(3, 3 + count) : [];
  }
  if (name === 'DEL' || name === 'UNLINK' || name === 'TOUCH') return args.slice(1);
  if (name === 'MSET' || name === 'MSETNX') return args.slice(1).filter((_, i) => i % 2 === 0);
  return args[1] === undefined ? [] : [args[1]];
}

/**
 * Wraps `engine` (the primary). Off until `setLag`; `now` is the clock that decides visibility.
 * @example const replica = createReplica(engine); replica.setLag({ mode: 'manual' }); …; replica.sync();
 */
export function createReplica(engine: RedisEngine, options: { now?: () => number } = {}): Replica {
  const now = options.now ?? Date.now;
  let lag: ReplicaLag = { mode: 'off' };
  let seq = 0;
  const tracked = new Map<string, Version[]>();
  // Writes run one at a time, so each key's before/after snapshots bracket exactly one batch.
  let writes: Promise<unknown> = Promise.resolve();

  /** The keys' state on the primary now; keys that are not strings are left out. */
  async function snapshot(keys: string[]): Promise<Map<string, Omit<Version, 'seq' | 'visibleAt'>>> {
    const out = new Map<string, Omit<Version, 'seq' | 'visibleAt'>>();
    if (keys.length === 0) return out;
    const replies = await engine.transaction(
      keys.flatMap((k) => [
        ['GET', k],
        ['PTTL', k],
      ]),
    );
    if (replies instanceof ReplyError) return out;
    const at = now();
    keys.forEach((key, i) => {
      const value = replies[2 * i];
      const pttl = replies[2 * i + 1];
      if (value instanceof ReplyError || Array.isArray(value) || typeof value === 'number') return;
      const ttl = typeof pttl === 'number' ? pttl : -1;
      out.set(key, { value: value ?? null, expiresAt: ttl >= 0 ? at + ttl : null });
    });
    return out;
  }

  async function write<R>(commands: string[][], run: () => Promise<R>): Promise<ReplicaAnswer<R>> {
    const keys = [...new Set(commands.flatMap(writtenKeys))];
    const before = await snapshot(keys.filter((k) => !tracked.has(k)));
    for (const [key, state] of before) tracked.set(key, [{ seq: 0, visibleAt: -Infinity, ...state }]);
    const replies = await run();
    seq++;
    const after = await snapshot(keys.filter((k) => tracked.has(k)));
    const visibleAt = lag.mode === 'lag' ? now() + lag.ms : Number.POSITIVE_INFINITY;
    for (const [key, state] of after) tracked.get(key)?.push({ seq, visibleAt, ...state });
    return { replies, syncToken: String(seq) };
  }

  function serially<R>(work: () => Promise<R>): Promise<R> {
    const result = writes.then(work);
    writes = result.catch(() => undefined);
    return result;
  }

  /** The version of `key` this read sees, or undefined when the replica has caught up on it. */
  function seen(key: string, token: number, at: number): Version | undefined {
    const versions = tracked.get(key);
    if (!versions) return undefined;
    if ((versions.at(-1) as Version).visibleAt <= at) {
      tracked.delete(key);
      return undefined;
    }
    return versions.filter((v) => v.visibleAt <= at || v.seq <= token).at(-1);
  }

  async function read(args: string[], token: number): Promise<Reply> {
    const keys = args.slice(1);
    const at = now();
    const views = keys.map((k) => seen(k, token, at));
    if (!VIEW_READS.has(nameOf(args)) || views.every((v) => v === undefined)) {
      return (await engine.pipeline([args]))[0] as Reply;
    }
    const current = await snapshot(keys.filter((_, i) => views[i] === undefined));
    const states = keys.map((k, i) => views[i] ?? current.get(k));
    const value = (i: number) => {
      const s = states[i];
      return s && s.value !== null && (s.expiresAt === null || s.expiresAt > at) ? s.value : null;
    };
    const ttlMs = () =>
      value(0) === null ? -2 : states[0]?.expiresAt == null ? -1 : states[0].expiresAt - at;
    switch (nameOf(args)) {
      case 'GET':
        return value(0);
      case 'MGET':
        return keys.map((_, i) => value(i));
      case 'EXISTS':
        return keys.filter((_, i) => value(i) !== null).length;
      case 'PTTL':
        return ttlMs();
      default: {
        const ms = ttlMs();
        return ms < 0 ? ms : Math.floor((ms + 500) / 1000);
      }
    }
  }

  const tokenOf = (header: string | undefined) => {
    const n = Number(header);
    return header && Number.isSafeInteger(n) && n > 0 ? n : 0;
  };

  const replica: Replica = {
    lag: () => lag,
    setLag(next) {
      if (next.mode === 'lag') checkLatency(next.ms);
      lag = next;
      tracked.clear();
    },
    sync() {
      tracked.clear();
    },
    pending: () => tracked.size,
    async pipeline(commands, syncToken) {
      if (lag.mode === 'off') return { replies: await engine.pipeline(commands) };
      if (commands.some(isWrite)) return serially(() => write(commands, () => engine.pipeline(commands)));
      const token = tokenOf(syncToken);
      const replies: Reply[] = [];
      for (const args of commands) replies.push(await read(args, token));
      return { replies, syncToken: String(token) };
    },
    async transaction(commands, syncToken) {
      if (lag.mode === 'off') return { replies: await engine.transaction(commands) };
      if (commands.some(isWrite)) return serially(() => write(commands, () => engine.transaction(commands)));
      return { replies: await engine.transaction(commands), syncToken: String(tokenOf(syncToken)) };
    },
    async handleControl(req, res, path) {
      if (path !== '/__replica' && path !== '/__replica/sync') return false;
      if (path === '/__replica/sync' && req.method === 'POST') {
        replica.sync();
        sendJson(res, 200, { ok: true });
      } else if (path === '/__replica' && req.method === 'GET') {
        sendJson(res, 200, { ...lag, pending: tracked.size });
      } else if (path === '/__replica' && req.method === 'POST') {
        const body = parseJson(await readBody(req, 4096)) as { mode?: unknown; ms?: unknown } | undefined;
        try {
          replica.setLag(toLag(body));
          sendJson(res, 200, { ok: true, ...lag });
        } catch (err) {
          sendJson(res, 400, { error: (err as Error).message });
        }
      } else {
        sendJson(res, 405, { error: 'use GET or POST /__replica, POST /__replica/sync' });
      }
      return true;
    },
  };
  return replica;
}

function toLag(body: { mode?: unknown; ms?: unknown } | undefined): ReplicaLag {
  if (body?.mode === 'off' || body?.mode === 'manual') return { mode: body.mode };
  if (body?.mode === 'lag') return { mode: 'lag', ms: checkLatency(body.ms) };
  throw new RangeError('replica mode must be "off", "manual" or "lag" (with "ms")');
}
