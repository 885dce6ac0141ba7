// The in-memory engine's scripting: a real Lua VM (fengari, Lua 5.3) set up
// like Redis's — KEYS/ARGV, redis.call/pcall/error_reply/status_reply/sha1hex,
// read-only globals — with Redis's reply ↔ Lua conversion rules.
import { createHash } from 'node:crypto';
import fengari, { type LuaState } from 'fengari';
import { type Reply, ReplyError } from '../engine';

const { lua, lauxlib, lualib, to_luastring: ls, to_jsstring } = fengari;

/** How a script reaches the keyspace: one command, run synchronously. */
export type ScriptCall = (args: string[], readOnly: boolean) => Reply;

/** A runaway script would freeze the whole server; Redis would answer BUSY instead. */
const SCRIPT_TIME_LIMIT_MS = 5000;

// Lua 5.1 spelling Redis scripts use, the sandbox's missing file access, and
// Redis's rule that scripts may neither read undefined globals nor create them.
const PRELUDE = `
unpack = table.unpack
loadfile = nil
dofile = nil
setmetatable(_G, {
  __index = function(_, k) error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end,
  __newindex = function(_, k) error("Attempt to modify a readonly table", 2) end,
})
`;

/**
 * The SHA-1 Redis uses to name a script.
 * @example sha1hex('return 1') // 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db'
 */
export function sha1hex(text: string | Uint8Array): string {
  return createHash('sha1').update(text).digest('hex');
}

const bytes = (s: Uint8Array): Buffer => Buffer.from(s);

/** Redis's Lua → reply conversion for the value at `idx`. */
function toReply(L: LuaState, idx: number): Reply {
  const at = idx < 0 ? lua.lua_gettop(L) + idx + 1 : idx;
  const type = lua.lua_type(L, at);
  if (type === lua.LUA_TBOOLEAN) return lua.lua_toboolean(L, at) ? 1 : null;
  if (type === lua.LUA_TNUMBER) return Math.trunc(lua.lua_tonumber(L, at));
  if (type === lua.LUA_TSTRING) return bytes(lua.lua_tolstring(L, at));
  if (type !== lua.LUA_TTABLE) return null;
  for (const [field, make] of [
    ['err', (s: string): Reply => new ReplyError(s)],
    ['ok', (s: string): Reply => s],
  ] as const) {
    const fieldType = lua.lua_getfield(L, at, ls(field));
    const text = fieldType === lua.LUA_TSTRING ? to_jsstring(lua.lua_tolstring(L, -1)) : undefined;
    lua.lua_pop(L, 1);
    if (text !== undefined) return make(text);
  }
  // An array: items 1..n up to the first nil.
  const items: Reply[] = [];
  for (let i = 1; lua.lua_rawgeti(L, at, i) !== lua.LUA_TNIL; i++) {
    items.push(toReply(L, -1));
    lua.lua_pop(L, 1);
  }
  lua.lua_pop(L, 1);
  return items;
}

function pushField(L: LuaState, field: 'ok' | 'err', text: string): void {
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushstring(L, ls(text));
  lua.lua_setfield(L, -2, ls(field));
}

/** Redis's reply → Lua conversion. */
function pushReply(L: LuaState, reply: Reply): void {
  if (reply === null) lua.lua_pushboolean(L, false);
  else if (typeof reply === 'number') {
    // fengari's integers are 32-bit; larger values travel as (exact) doubles, as in Redis's Lua 5.1.
    if (Number.isInteger(reply) && Math.abs(reply) <= 0x7fffffff) lua.lua_pushinteger(L, reply);
    else lua.lua_pushnumber(L, reply);
  } else if (typeof reply === 'string') pushField(L, 'ok', reply);
  else if (reply instanceof ReplyError) pushField(L, 'err', reply.message);
  else if (Buffer.isBuffer(reply)) lua.lua_pushstring(L, new Uint8Array(reply));
  else {
    lua.lua_createtable(L, reply.length, 0);
    reply.forEach((item, i) => {
      pushReply(L, item);
      lua.lua_rawseti(L, -2, i + 1);
    });
  }
}

function pushStrings(L: LuaState, values: readonly string[]): void {
  lua.lua_createtable(L, values.length, 0);
  values.forEach((v, i) => {
    lua.lua_pushstring(L, ls(v));
    lua.lua_rawseti(L, -2, i + 1);
  });
}

/** One Lua VM with Redis's script cache. */
export class LuaScripts {
  readonly #L: LuaState = lauxlib.luaL_newstate();
  readonly #loaded = new Set<string>();
  #readOnly = false;

  constructor(private readonly call: ScriptCall) {
    const L = this.#L;
    const libs = [
      ['_G', lualib.luaopen_base],
      ['string', lualib.luaopen_string],
      ['table', lualib.luaopen_table],
      ['math', lualib.luaopen_math],
    ] as const;
    for (const [name, open] of libs) {
      lauxlib.luaL_requiref(L, ls(name), open, 1);
      lua.lua_pop(L, 1);
    }
    lua.lua_createtable(L, 0, 10);
    // Functions that return nothing push exactly one result.
    const fn = (name: string, f: (L: LuaState) => number | undefined) => {
      lua.lua_pushjsfunction(L, (L) => f(L) ?? 1);
      lua.lua_setfield(L, -2, ls(name));
    };
    fn('call', (L) => this.#redisCall(L, true));
    fn('pcall', (L) => this.#redisCall(L, false));
    fn('error_reply', (L) => void pushField(L, 'err', to_jsstring(lauxlib.luaL_checkstring(L, 1))));
    fn('status_reply', (L) => void pushField(L, 'ok', to_jsstring(lauxlib.luaL_checkstring(L, 1))));
    fn('sha1hex', (L) => void lua.lua_pushstring(L, ls(sha1hex(lauxlib.luaL_checkstring(L, 1)))));
    fn('log', () => 0);
    ['LOG_DEBUG', 'LOG_VERBOSE', 'LOG_NOTICE', 'LOG_WARNING'].forEach((name, level) => {
      lua.lua_pushinteger(L, level);
      lua.lua_setfield(L, -2, ls(name));
    });
    lua.lua_setglobal(L, ls('redis'));
    this.#compile('prelude', PRELUDE, '=prelude');
    this.#run('prelude', [], [], false);
  }

  /** True when a script with this SHA-1 is cached. */
  has(sha: string): boolean {
    return this.#loaded.has(sha.toLowerCase());
  }

  /** Compiles and caches a script (SCRIPT LOAD, EVAL); returns its SHA-1. Throws ReplyError on a syntax error. */
  load(body: string): string {
    const sha = sha1hex(body);
    if (!this.#loaded.has(sha)) {
      this.#compile(sha, body, '@user_script');
      this.#loaded.add(sha);
    }
    return sha;
  }

  /** SCRIPT FLUSH. */
  flush(): void {
    this.#loaded.clear();
  }

  /** Runs a cached script (the caller checks `has` first and answers NOSCRIPT). */
  run(sha: string, keys: readonly string[], argv: readonly string[], readOnly: boolean): Reply {
    return this.#run(sha.toLowerCase(), keys, argv, readOnly);
  }

  #compile(name: string, body: string, chunkName: string): void {
    const L = this.#L;
    if (lauxlib.luaL_loadbuffer(L, ls(body), null, ls(chunkName)) !== lua.LUA_OK) {
      const message = to_jsstring(lua.lua_tolstring(L, -1));
      lua.lua_pop(L, 1);
      throw new ReplyError(`ERR Error compiling script (new function): ${message}`);
    }
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, ls(`f_${name}`));
  }

  #run(name: string, keys: readonly string[], argv: readonly string[], readOnly: boolean): Reply {
    const L = this.#L;
    const top = lua.lua_gettop(L);
    lua.lua_pushglobaltable(L);
    for (const [global, values] of [
      ['KEYS', keys],
      ['ARGV', argv],
    ] as const) {
      lua.lua_pushstring(L, ls(global));
      pushStrings(L, values);
      lua.lua_rawset(L, -3); // raw: the globals table refuses ordinary writes
    }
    lua.lua_pop(L, 1);
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, ls(`f_${name}`));
    this.#readOnly = readOnly;
    const deadline = Date.now() + SCRIPT_TIME_LIMIT_MS;
    lua.lua_sethook(
      L,
      (L) => {
        if (Date.now() > deadline)
          lauxlib.luaL_error(L, ls(`Script killed after ${SCRIPT_TIME_LIMIT_MS} ms`));
      },
      lua.LUA_MASKCOUNT,
      10_000,
    );
    try {
      const status = lua.lua_pcall(L, 0, 1, 0);
      const reply = toReply(L, -1);
      if (status === lua.LUA_OK) return reply;
      // Raised errors get Redis 7's suffix (without the line number). redis.call failures arrive as
      // {err=…} tables, already ReplyErrors; anything else raised is a Lua error string.
      const where = ` script: ${name}, on @user_script.`;
      if (reply instanceof ReplyError) return new ReplyError(`${reply.message}${where}`);
      return new ReplyError(
        `ERR ${Buffer.isBuffer(reply) ? reply.toString('utf8') : 'unknown error'}${where}`,
      );
    } finally {
      lua.lua_sethook(L, null, 0, 0);
      lua.lua_settop(L, top);
    }
  }

  /** redis.call (raise = true) and redis.pcall (raise = false). */
  #redisCall(L: LuaState, raise: boolean): number {
    const fail = (message: string): number => {
      pushField(L, 'err', message);
      return raise ? lua.lua_error(L) : 1;
    };
    const argc = lua.lua_gettop(L);
    if (argc === 0) return fail('ERR Please specify at least one argument for this redis lib call');
    const args: string[] = [];
    for (let i = 1; i <= argc; i++) {
      const type = lua.lua_type(L, i);
      if (type === lua.LUA_TSTRING) args.push(bytes(lua.lua_tolstring(L, i)).toString('utf8'));
      // Redis formats numbers itself (integers without ".0"), not via Lua's tostring.
      else if (type === lua.LUA_TNUMBER) args.push(String(lua.lua_tonumber(L, i)));
      else return fail('ERR Lua redis lib command arguments must be strings or integers');
    }
    const reply = this.call(args, this.#readOnly);
    if (reply instanceof ReplyError) return fail(reply.message);
    pushReply(L, reply);
    return 1;
  }
}
