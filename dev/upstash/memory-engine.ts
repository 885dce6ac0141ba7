// The in-memory RedisEngine: a development fallback for machines with no
// redis-server, on ioredis-mock (strings, expiry, and EVAL through its own Lua
// VM). It accepts only the commands edge-auth sends; anything else answers
// "unknown command" rather than a guess at Redis's behaviour. ioredis-mock is
// loaded on first use: the installed package's CLI does not depend on it.
import { randomUUID } from 'node:crypto';
import { execAbort, type RedisEngine, type Reply, ReplyError, toReply } from './engine';

/** The supported commands with their Redis arity (negative: at least that many, name included). */
const ARITY: Record<string, number> = {
  PING: -1,
  GET: 2,
  MGET: -2,
  SET: -3,
  DEL: -2,
  EXISTS: -2,
  KEYS: 2,
  TTL: 2,
  PTTL: 2,
  EVAL: -3,
  EVALSHA: -3,
};

/** The commands the in-memory engine runs (upper-case); everything else is an unknown command. */
export const MEMORY_COMMANDS: readonly string[] = Object.keys(ARITY);

/** The error Redis answers before running a command, or null when the command may run. */
function refuse([name = '', ...args]: readonly string[]): ReplyError | null {
  const arity = ARITY[name.toUpperCase()];
  if (arity === undefined) {
    const rest = args.map((a) => `'${a.slice(0, 128)}' `).join('');
    return new ReplyError(`ERR unknown command '${name}', with args beginning with: ${rest}`);
  }
  const count = args.length + 1;
  if (arity >= 0 ? count === arity : count >= -arity) return null;
  return new ReplyError(`ERR wrong number of arguments for '${name.toLowerCase()}' command`);
}

/**
 * SET's options checked and upper-cased, since ioredis-mock matches them case-sensitively and
 * checks nothing. Supported: NX or XX, EX or PX.
 */
function setArgs([name, key = '', value = '', ...options]: string[]): string[] | ReplyError {
  const out = [name as string, key, value];
  for (let i = 0; i < options.length; i++) {
    const option = (options[i] as string).toUpperCase();
    const taken = (...names: string[]) => names.some((n) => out.slice(3).includes(n));
    if ((option === 'NX' || option === 'XX') && !taken('NX', 'XX')) out.push(option);
    else if ((option === 'EX' || option === 'PX') && !taken('EX', 'PX') && i + 1 < options.length) {
      const amount = options[++i] as string;
      if (!/^-?\d+$/.test(amount)) return new ReplyError('ERR value is not an integer or out of range');
      if (Number(amount) <= 0) return new ReplyError("ERR invalid expire time in 'set' command");
      out.push(option, amount);
    } else return new ReplyError('ERR syntax error');
  }
  return out;
}

/**
 * Whether ioredis-mock can be loaded (a dev dependency here; absent from a plain install of the package).
 * @example if (!(await memoryEngineInstalled())) throw new Error('install redis-server');
 */
export async function memoryEngineInstalled(): Promise<boolean> {
  return import('ioredis-mock').then(
    () => true,
    () => false,
  );
}

/**
 * Creates an empty in-memory engine (its own keyspace).
 * @example const engine = createMemoryEngine(); await engine.pipeline([['SET', 'k', 'v']]);
 */
export function createMemoryEngine(): RedisEngine {
  // ioredis-mock shares one keyspace per host:port; a unique host keeps this one apart.
  const client = import('ioredis-mock').then(({ default: RedisMock }) => {
    return new RedisMock({ host: `memory-${randomUUID()}` });
  });
  client.catch(() => undefined); // each call awaits it and reports a failed load there
  const call = async (args: string[]): Promise<Reply> => {
    const checked = refuse(args) ?? (args[0]?.toUpperCase() === 'SET' ? setArgs(args) : args);
    if (checked instanceof ReplyError) return checked;
    const [name = '', ...rest] = checked;
    try {
      const commands = (await client) as unknown as Record<string, (...args: string[]) => Promise<unknown>>;
      return toReply(await commands[name.toLowerCase()]?.(...rest));
    } catch (err) {
      return new ReplyError((err as Error).message);
    }
  };
  // One batch at a time, so a transaction is atomic and a pipeline stays in order.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const result = queue.then(work);
    queue = result.catch(() => undefined);
    return result;
  };
  const runAll = async (batch: string[][]) => {
    const replies: Reply[] = [];
    for (const args of batch) replies.push(await call(args));
    return replies;
  };
  return {
    kind: 'memory',
    pipeline: (batch) => serial(() => runAll(batch)),
    transaction(batch) {
      const refused = batch.map(refuse).find((r) => r !== null);
      return refused ? Promise.resolve(execAbort(refused.message)) : serial(() => runAll(batch));
    },
    async close() {
      (await client).disconnect();
    },
  };
}
