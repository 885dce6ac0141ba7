// Shared shape of the in-memory engine's commands, and the argument parsing
// and error texts they share (worded as Redis words them, so clients that
// match on messages behave the same against both engines).
import { type Reply, ReplyError } from '../engine';
import type { LuaScripts } from './lua';
import type { Keyspace } from './store';

/** What a command may touch. */
export interface CommandContext {
  store: Keyspace;
  scripts: LuaScripts;
}

/** One command: Redis arity (negative = at least), flags, and the implementation. */
export interface CommandSpec {
  /** Counts the command name, as in Redis's command table. */
  arity: number;
  /** Refused inside read-only scripts (EVAL_RO). */
  write?: boolean;
  /** Refused inside scripts altogether (EVAL, SCRIPT …). */
  noscript?: boolean;
  /** `args[0]` is the command name. May throw ReplyError. */
  run(ctx: CommandContext, args: string[]): Reply;
}

export const SYNTAX_ERROR = 'ERR syntax error';
export const NOT_AN_INTEGER = 'ERR value is not an integer or out of range';

/**
 * Parses a Redis integer argument strictly (no "+", no leading zeros, no spaces).
 * @example parseInteger('42') // 42
 */
export function parseInteger(text: string | undefined, message = NOT_AN_INTEGER): number {
  if (text === undefined || !/^-?(0|[1-9][0-9]*)$/.test(text)) throw new ReplyError(message);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new ReplyError(message);
  return n;
}

/**
 * The argument at `i`, or a syntax error when it is missing.
 * @example const seconds = argAt(args, i + 1);
 */
export function argAt(args: readonly string[], i: number): string {
  const value = args[i];
  if (value === undefined) throw new ReplyError(SYNTAX_ERROR);
  return value;
}

/**
 * Redis's reply for a command it does not know.
 * @example unknownCommand(['HSET', 'k', 'f', 'v'])
 */
export function unknownCommand(args: readonly string[]): ReplyError {
  const rest = args
    .slice(1, 20)
    .map((a) => `'${a.slice(0, 128)}' `)
    .join('');
  return new ReplyError(`ERR unknown command '${args[0] ?? ''}', with args beginning with: ${rest}`);
}

/**
 * Redis's reply for a wrong argument count.
 * @example wrongArity('get')
 */
export function wrongArity(name: string): ReplyError {
  return new ReplyError(`ERR wrong number of arguments for '${name.toLowerCase()}' command`);
}
