// The seam between the HTTP front (Upstash REST) and whatever executes Redis
// commands: a real redis-server (./redis-engine) or the in-memory development
// fallback (./memory-engine). Both hand back replies in the shape below.

/** A Redis error reply ("ERR …", "NOSCRIPT …"), carried as a value so one failing command does not sink a pipeline. */
export class ReplyError extends Error {
  override name = 'ReplyError';
}

/**
 * A raw Redis reply: bulk and status strings as Buffers or strings, integers as
 * numbers, nil as null, errors nested in arrays as ReplyErrors.
 */
export type Reply = Buffer | string | number | null | ReplyError | Reply[];

/** Executes Redis commands. Arguments are already strings; command names may be any case. */
export interface RedisEngine {
  /** 'redis' for a real server, 'memory' for the in-memory development fallback. */
  readonly kind: 'redis' | 'memory';
  /** Runs the commands in order, not atomically; one reply per command (errors as ReplyError values). */
  pipeline(commands: string[][]): Promise<Reply[]>;
  /**
   * Runs the commands atomically (MULTI/EXEC). Resolves with one reply per command, or with a
   * single ReplyError when the whole transaction was refused (EXECABORT).
   */
  transaction(commands: string[][]): Promise<Reply[] | ReplyError>;
  close(): Promise<void>;
}

/** Thrown (not returned) when the engine cannot reach its backend at all. */
export class EngineUnavailableError extends Error {
  override name = 'EngineUnavailableError';
}

/**
 * The EXECABORT reply Redis gives when a command failed while being queued.
 * @example execAbort('ERR unknown command …').message // 'EXECABORT Transaction discarded … First error: ERR unknown …'
 */
export function execAbort(firstError: string): ReplyError {
  return new ReplyError(
    `EXECABORT Transaction discarded because of previous errors. First error: ${firstError}`,
  );
}

/**
 * Brings a client library's reply into `Reply` shape. Booleans, fractions and
 * nested errors follow Redis's rules for script replies (true → 1, false → nil,
 * numbers truncated), which the in-memory engine's Lua does not apply itself.
 * @example toReply([1, false, 'x']) // [1, null, 'x']
 */
export function toReply(value: unknown): Reply {
  if (value === null || value === undefined || value === false) return null;
  if (value === true) return 1;
  if (typeof value === 'number') return Math.trunc(value);
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) return value.map(toReply);
  if (value instanceof Error) return new ReplyError(value.message);
  return new ReplyError('ERR the in-memory engine cannot convert this reply; use a real Redis');
}
