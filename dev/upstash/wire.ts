// Upstash REST wire rules that sit between JSON and Redis: argument
// normalisation, the list of commands a shared HTTP front must refuse, and
// reply → JSON conversion (with the optional base64 encoding).
import { type Reply, ReplyError } from './engine';

/**
 * Commands that would block the shared connection, change its state for every
 * other caller, or need a streaming reply. MULTI/EXEC belong to `/multi-exec`.
 */
const REFUSED = new Set(
  (
    'SUBSCRIBE PSUBSCRIBE SSUBSCRIBE UNSUBSCRIBE PUNSUBSCRIBE SUNSUBSCRIBE MONITOR SELECT SWAPDB ' +
    'MULTI EXEC DISCARD WATCH UNWATCH QUIT RESET HELLO AUTH CLIENT BLPOP BRPOP BRPOPLPUSH BLMOVE ' +
    'BLMPOP BZPOPMIN BZPOPMAX BZMPOP WAIT WAITAOF SHUTDOWN DEBUG SYNC PSYNC REPLCONF FAILOVER SLAVEOF ' +
    'REPLICAOF'
  ).split(' '),
);

/**
 * Turns one JSON command into Redis arguments: every string, number or boolean
 * becomes a Redis string. Returns an error message for anything else.
 * @example toArgs(['set', 'k', 1]) // ['set', 'k', '1']
 */
export function toArgs(command: unknown): string[] | string {
  if (!Array.isArray(command) || command.length === 0) {
    return 'ERR each command must be a non-empty JSON array';
  }
  const args: string[] = [];
  for (const arg of command) {
    if (typeof arg === 'string') args.push(arg);
    else if (typeof arg === 'number' || typeof arg === 'boolean') args.push(String(arg));
    else return 'ERR command arguments must be strings, numbers or booleans';
  }
  return args;
}

/**
 * Why the local server refuses this command, or null when it may run.
 * @example refusal(['SUBSCRIBE', 'ch']) // 'ERR Command is not available …'
 */
export function refusal(args: readonly string[]): string | null {
  const name = args[0]?.toUpperCase() ?? '';
  const blockingRead =
    (name === 'XREAD' || name === 'XREADGROUP') && args.some((a) => a.toUpperCase() === 'BLOCK');
  if (!REFUSED.has(name) && !blockingRead) return null;
  return `ERR Command is not available over the REST API: '${name}' (it would block or change the shared connection)`;
}

/**
 * Converts a raw reply to the JSON Upstash sends. With `base64`, every string
 * (bulk or status, "OK" included) is base64 of its bytes; numbers and null pass through.
 * An error nested in an array (rare: a script returning one) becomes its message text.
 * @example toJson(Buffer.from('v'), true) // 'dg=='
 */
export function toJson(reply: Reply, base64: boolean): unknown {
  if (reply === null || typeof reply === 'number') return reply;
  if (Array.isArray(reply)) return reply.map((r) => toJson(r, base64));
  const bytes =
    reply instanceof ReplyError
      ? Buffer.from(reply.message)
      : Buffer.isBuffer(reply)
        ? reply
        : Buffer.from(reply);
  return base64 ? bytes.toString('base64') : bytes.toString('utf8');
}

/**
 * One `{result}` or `{error}` entry (a top-level Redis error becomes `{error}`; `result` is always present otherwise).
 * @example toEntry(null, true) // { result: null }
 */
export function toEntry(reply: Reply, base64: boolean): { result: unknown } | { error: string } {
  return reply instanceof ReplyError ? { error: reply.message } : { result: toJson(reply, base64) };
}
