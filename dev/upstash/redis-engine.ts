// RedisEngine on a real redis-server, through one ioredis connection. Raw
// reply shapes are kept by sending upper-case command names (ioredis reshapes
// some replies by lower-case name) with callBuffer (no decoding); ioredis 5
// speaks RESP2. Replies come back in request order, pipelines in one write.
import Redis from 'ioredis';
import {
  EngineUnavailableError,
  execAbort,
  type RedisEngine,
  type Reply,
  ReplyError,
  toReply,
} from './engine';

/** ioredis's error replies are redis-errors' ReplyError; anything else means the connection failed. */
function replyOrThrow(err: Error): ReplyError {
  if (err.name === 'ReplyError') return new ReplyError(err.message);
  throw new EngineUnavailableError(`Redis is unreachable (${err.name})`);
}

function connect(url: string, connectTimeoutMs: number, reconnect: boolean): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: connectTimeoutMs,
    enableReadyCheck: false,
    // Fail what is in flight when the connection drops (the HTTP client gets a 503) and never replay it.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: reconnect ? (times) => Math.min(times * 100, 1000) : () => null,
  });
  client.on('error', () => undefined); // surfaced per command instead
  return client;
}

type Batch = ReturnType<Redis['pipeline']>;

async function run(batch: Batch, commands: string[][]): Promise<Reply[]> {
  for (const [name = '', ...args] of commands) batch.callBuffer(name.toUpperCase(), ...args);
  const results = await batch.exec();
  if (!results) throw new ReplyError('EXECABORT Transaction discarded.'); // only after WATCH, which is refused
  return results.map(([err, value]) => (err ? replyOrThrow(err) : toReply(value)));
}

/**
 * Creates an engine that relays commands to the Redis server at `url` (connects lazily, reconnects).
 * @example const engine = createRedisEngine('redis://127.0.0.1:6379'); await engine.pipeline([['PING']]);
 */
export function createRedisEngine(url: string, opts: { connectTimeoutMs?: number } = {}): RedisEngine {
  const client = connect(url, opts.connectTimeoutMs ?? 2000, true);
  return {
    kind: 'redis',
    async pipeline(commands) {
      try {
        return await run(client.pipeline(), commands);
      } catch (err) {
        throw err instanceof EngineUnavailableError ? err : replyOrThrow(err as Error);
      }
    },
    async transaction(commands) {
      try {
        return await run(client.multi(), commands);
      } catch (err) {
        // EXECABORT: ioredis lists the queuing errors; Redis's own message does not name them.
        const { previousErrors } = err as { previousErrors?: Error[] };
        const reply = replyOrThrow(err as Error);
        return previousErrors?.[0] ? execAbort(previousErrors[0].message) : reply;
      }
    },
    async close() {
      client.disconnect();
    },
  };
}

/**
 * True when a Redis server answers PING at `url` within `timeoutMs`.
 * @example if (await pingRedis('redis://127.0.0.1:6379', 500)) useIt();
 */
export async function pingRedis(url: string, timeoutMs: number): Promise<boolean> {
  const client = connect(url, timeoutMs, false);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
  });
  try {
    return (await Promise.race([client.ping(), timeout])) === 'PONG';
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
