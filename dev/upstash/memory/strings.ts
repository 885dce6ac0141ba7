// String, key and server commands of the in-memory engine. Semantics follow
// Redis 7 for the options edge-auth and its tests use; anything else is an
// "unknown command" rather than a guess.
import { ReplyError } from '../engine';
import { argAt, type CommandSpec, parseInteger, SYNTAX_ERROR } from './command';
import { globToRegExp, type Keyspace } from './store';

const buf = (s: string) => Buffer.from(s, 'utf8');

function expireAfter(store: Keyspace, unit: string, amount: number, command: string): number {
  if (amount <= 0 && (unit === 'EX' || unit === 'PX')) {
    throw new ReplyError(`ERR invalid expire time in '${command}' command`);
  }
  const now = store.now();
  if (unit === 'EX') return now + amount * 1000;
  if (unit === 'PX') return now + amount;
  if (unit === 'EXAT') return amount * 1000;
  return amount; // PXAT
}

const set: CommandSpec = {
  arity: -3,
  write: true,
  run({ store }, args) {
    const key = args[1] as string;
    let nx = false;
    let xx = false;
    let get = false;
    let keepTtl = false;
    let expiresAt: number | null = null;
    for (let i = 3; i < args.length; i++) {
      const opt = (args[i] as string).toUpperCase();
      if (opt === 'NX' && !xx) nx = true;
      else if (opt === 'XX' && !nx) xx = true;
      else if (opt === 'GET') get = true;
      else if (opt === 'KEEPTTL' && expiresAt === null) keepTtl = true;
      else if (['EX', 'PX', 'EXAT', 'PXAT'].includes(opt) && !keepTtl && expiresAt === null) {
        expiresAt = expireAfter(store, opt, parseInteger(argAt(args, ++i)), 'set');
      } else throw new ReplyError(SYNTAX_ERROR);
    }
    const old = store.get(key) ?? null;
    if ((nx && old) || (xx && !old)) return get ? old : null;
    store.set(key, buf(args[2] as string), keepTtl ? 'keep' : expiresAt);
    return get ? old : 'OK';
  },
};

function incrBy(store: Keyspace, key: string, by: number): number {
  const old = store.get(key);
  const current = old === undefined ? 0 : parseInteger(old.toString('utf8'));
  const next = current + by;
  if (!Number.isSafeInteger(next)) throw new ReplyError('ERR increment or decrement would overflow');
  store.set(key, buf(String(next)), 'keep');
  return next;
}

function expire(unit: 'EX' | 'PX'): CommandSpec {
  return {
    arity: -3,
    write: true,
    run({ store }, args) {
      const key = args[1] as string;
      const at = store.now() + parseInteger(args[2]) * (unit === 'EX' ? 1000 : 1);
      const current = store.expiresAt(key);
      if (current === undefined) return 0;
      const flag = args[3]?.toUpperCase();
      if (args.length > 4 || (flag !== undefined && !['NX', 'XX', 'GT', 'LT'].includes(flag))) {
        throw new ReplyError(flag ? `ERR Unsupported option ${args[3]}` : SYNTAX_ERROR);
      }
      // GT/LT treat "no expiry" as infinite, as Redis does.
      const refused =
        (flag === 'NX' && current !== null) ||
        (flag === 'XX' && current === null) ||
        (flag === 'GT' && (current === null || at <= current)) ||
        (flag === 'LT' && current !== null && at >= current);
      if (refused) return 0;
      if (at <= store.now()) store.delete(key);
      else store.setExpiry(key, at);
      return 1;
    },
  };
}

function ttl(unit: 'EX' | 'PX'): CommandSpec {
  return {
    arity: 2,
    run({ store }, args) {
      const at = store.expiresAt(args[1] as string);
      if (at === undefined) return -2;
      if (at === null) return -1;
      const ms = at - store.now();
      return unit === 'PX' ? ms : Math.floor((ms + 500) / 1000);
    },
  };
}

function matching(store: Keyspace, pattern: string | undefined): string[] {
  const re = pattern === undefined ? undefined : globToRegExp(pattern);
  return store
    .keys()
    .map((k) => k.key)
    .filter((k) => !re || re.test(k));
}

const scan: CommandSpec = {
  arity: -2,
  run({ store }, args) {
    const cursor = parseInteger(args[1], 'ERR invalid cursor');
    let pattern: string | undefined;
    let count = 10;
    let type: string | undefined;
    for (let i = 2; i < args.length; i += 2) {
      const opt = (args[i] as string).toUpperCase();
      const value = argAt(args, i + 1);
      if (opt === 'MATCH') pattern = value;
      else if (opt === 'COUNT') count = parseInteger(value);
      else if (opt === 'TYPE') type = value.toLowerCase();
      else throw new ReplyError(SYNTAX_ERROR);
    }
    if (count < 1) throw new ReplyError(SYNTAX_ERROR);
    // The cursor is a creation sequence number: keys that exist for the whole scan are never skipped.
    const examined = store
      .keys()
      .filter((k) => k.seq >= cursor)
      .slice(0, count);
    const re = pattern === undefined ? undefined : globToRegExp(pattern);
    const keys = examined.filter((k) => (!re || re.test(k.key)) && (type === undefined || type === 'string'));
    const last = examined[examined.length - 1];
    const more = last !== undefined && store.keys().some((k) => k.seq > last.seq);
    return [buf(more ? String(last.seq + 1) : '0'), keys.map((k) => buf(k.key))];
  },
};

/** String, key and server commands by lower-case name. */
export const stringCommands: Record<string, CommandSpec> = {
  ping: {
    arity: -1,
    run: (_, args) => (args.length > 2 ? null : args[1] === undefined ? 'PONG' : buf(args[1])),
  },
  echo: { arity: 2, run: (_, args) => buf(args[1] as string) },
  get: { arity: 2, run: ({ store }, args) => store.get(args[1] as string) ?? null },
  set,
  getdel: {
    arity: 2,
    write: true,
    run({ store }, args) {
      const value = store.get(args[1] as string) ?? null;
      store.delete(args[1] as string);
      return value;
    },
  },
  mget: { arity: -2, run: ({ store }, args) => args.slice(1).map((k) => store.get(k) ?? null) },
  mset: {
    arity: -3,
    write: true,
    run({ store }, args) {
      if (args.length % 2 === 0) throw new ReplyError("ERR wrong number of arguments for 'mset' command");
      for (let i = 1; i < args.length; i += 2) store.set(args[i] as string, buf(args[i + 1] as string), null);
      return 'OK';
    },
  },
  strlen: { arity: 2, run: ({ store }, args) => store.get(args[1] as string)?.length ?? 0 },
  incr: { arity: 2, write: true, run: ({ store }, args) => incrBy(store, args[1] as string, 1) },
  decr: { arity: 2, write: true, run: ({ store }, args) => incrBy(store, args[1] as string, -1) },
  incrby: {
    arity: 3,
    write: true,
    run: ({ store }, args) => incrBy(store, args[1] as string, parseInteger(args[2])),
  },
  decrby: {
    arity: 3,
    write: true,
    run: ({ store }, args) => incrBy(store, args[1] as string, -parseInteger(args[2])),
  },
  del: {
    arity: -2,
    write: true,
    run: ({ store }, args) => args.slice(1).filter((k) => store.delete(k)).length,
  },
  exists: { arity: -2, run: ({ store }, args) => args.slice(1).filter((k) => store.has(k)).length },
  type: { arity: 2, run: ({ store }, args) => (store.has(args[1] as string) ? 'string' : 'none') },
  expire: expire('EX'),
  pexpire: expire('PX'),
  persist: {
    arity: 2,
    write: true,
    run: ({ store }, args) =>
      store.expiresAt(args[1] as string) ? Number(store.setExpiry(args[1] as string, null)) : 0,
  },
  ttl: ttl('EX'),
  pttl: ttl('PX'),
  keys: { arity: 2, run: ({ store }, args) => matching(store, args[1]).map(buf) },
  scan,
  dbsize: { arity: 1, run: ({ store }) => store.keys().length },
  flushdb: {
    arity: -1,
    write: true,
    run: ({ store }) => {
      store.clear();
      return 'OK';
    },
  },
  flushall: {
    arity: -1,
    write: true,
    run: ({ store }) => {
      store.clear();
      return 'OK';
    },
  },
  time: {
    arity: 1,
    run({ store }) {
      const ms = store.now();
      return [buf(String(Math.floor(ms / 1000))), buf(String((ms % 1000) * 1000))];
    },
  },
};
