// The seam between the HTTP front (Upstash REST) and whatever executes Redis
// commands: a real redis-server over RESP2, or the in-memory fallback.

/** A Redis error reply ("ERR …", "NOSCRIPT …"), carried as a value so one failing command does not sink a pipeline. */
export class ReplyError extends Error {
  override name = 'ReplyError';
}

/**
 * A raw Redis reply, shaped as RESP2 shapes it: bulk strings are Buffers, status
 * replies ("OK", "PONG", "QUEUED") are JS strings, integers are numbers, nil is null,
 * and errors nested in arrays stay ReplyErrors.
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
