// RedisEngine over one RESP2 TCP connection to a real redis-server. One
// connection is enough locally (Redis runs commands one at a time anyway);
// replies come back in request order, so each HTTP request just queues its
// commands and waits for that many replies. A lost connection fails what is
// in flight and is re-opened on the next request.
import { connect, type Socket } from 'node:net';
import { EngineUnavailableError, type RedisEngine, type Reply, ReplyError } from './engine';
import { encodeCommand, RespParser } from './resp';

/** Options for `createRedisEngine`. */
export interface RedisEngineOptions {
  /** Give up connecting after this long. Default 2000 ms. */
  connectTimeoutMs?: number;
}

interface Target {
  host: string;
  port: number;
  /** AUTH/SELECT sent first on every new connection. */
  handshake: string[][];
}

/** Reads host, port, credentials and db number from a redis:// URL. */
function parseRedisUrl(url: string): Target {
  const u = new URL(url);
  if (u.protocol !== 'redis:') throw new Error(`only redis:// URLs are supported (got ${u.protocol})`);
  const handshake: string[][] = [];
  const user = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  if (password) handshake.push(user ? ['AUTH', user, password] : ['AUTH', password]);
  const db = u.pathname.replace(/^\//, '');
  if (db && db !== '0') handshake.push(['SELECT', db]);
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || 6379), handshake };
}

type Waiter = { resolve(reply: Reply): void; reject(err: Error): void };

class Connection {
  readonly #socket: Socket;
  readonly #parser = new RespParser();
  readonly #waiters: Waiter[] = [];
  closed = false;

  constructor(target: Target, connectTimeoutMs: number) {
    this.#socket = connect({ host: target.host, port: target.port, noDelay: true });
    this.#socket.setTimeout(connectTimeoutMs, () =>
      this.#fail(new EngineUnavailableError('timed out connecting to Redis')),
    );
    this.#socket.once('connect', () => this.#socket.setTimeout(0));
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#socket.on('error', (err: NodeJS.ErrnoException) =>
      this.#fail(new EngineUnavailableError(`Redis connection failed (${err.code ?? err.message})`)),
    );
    this.#socket.on('close', () => this.#fail(new EngineUnavailableError('Redis connection closed')));
    if (target.handshake.length > 0) {
      // Checked but not awaited: writes stay ordered, and a refusal fails everything queued behind it.
      void this.send(target.handshake).then(
        (replies) => {
          const refused = replies.find((r) => r instanceof ReplyError);
          if (refused)
            this.#fail(new EngineUnavailableError(`Redis refused the handshake: ${refused.message}`));
        },
        () => undefined,
      );
    }
  }

  /** Writes all commands in one go and resolves with their replies, in order. */
  send(commands: string[][]): Promise<Reply[]> {
    if (this.closed) return Promise.reject(new EngineUnavailableError('Redis connection closed'));
    const replies = commands.map(
      () => new Promise<Reply>((resolve, reject) => this.#waiters.push({ resolve, reject })),
    );
    this.#socket.write(Buffer.concat(commands.map((c) => encodeCommand(c))));
    return Promise.all(replies);
  }

  close(): Promise<void> {
    this.closed = true;
    if (this.#socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#socket.once('close', () => resolve());
      this.#socket.end();
      // A socket still connecting to a dead address may never finish ending politely.
      setTimeout(() => this.#socket.destroy(), 1000).unref();
    });
  }

  #onData(chunk: Buffer): void {
    let replies: Reply[];
    try {
      replies = this.#parser.push(chunk);
    } catch (err) {
      this.#fail(new EngineUnavailableError((err as Error).message));
      return;
    }
    for (const reply of replies) this.#waiters.shift()?.resolve(reply);
  }

  #fail(err: Error): void {
    this.closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(err);
    this.#socket.destroy();
  }
}

/**
 * Creates an engine that relays commands to the Redis server at `url` (connects lazily).
 * @example const engine = createRedisEngine('redis://127.0.0.1:6379'); await engine.pipeline([['PING']]);
 */
export function createRedisEngine(url: string, opts: RedisEngineOptions = {}): RedisEngine {
  const target = parseRedisUrl(url);
  const connectTimeoutMs = opts.connectTimeoutMs ?? 2000;
  let conn: Connection | undefined;
  const connection = (): Connection => {
    if (!conn || conn.closed) conn = new Connection(target, connectTimeoutMs);
    return conn;
  };
  return {
    kind: 'redis',
    pipeline: (commands) => connection().send(commands),
    async transaction(commands) {
      // MULTI…EXEC go out in one write, so nothing from another request can land in between.
      const replies = await connection().send([['MULTI'], ...commands, ['EXEC']]);
      const exec = replies[replies.length - 1];
      if (Array.isArray(exec)) return exec;
      const queueError = replies.slice(1, -1).find((r) => r instanceof ReplyError);
      if (exec instanceof ReplyError) {
        return new ReplyError(
          queueError ? `${exec.message} First error: ${queueError.message}` : exec.message,
        );
      }
      return new ReplyError('EXECABORT Transaction discarded.');
    },
    async close() {
      await conn?.close();
    },
  };
}

/**
 * True when a Redis server answers PING at `url` within `timeoutMs`.
 * @example if (await pingRedis('redis://127.0.0.1:6379', 500)) useIt();
 */
export async function pingRedis(url: string, timeoutMs: number): Promise<boolean> {
  const engine = createRedisEngine(url, { connectTimeoutMs: timeoutMs });
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
    });
    const [reply] = await Promise.race([engine.pipeline([['PING']]), timeout]);
    return reply === 'PONG';
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    await engine.close();
  }
}
