// Keyspace of the in-memory engine: string values with optional expiry,
// expired lazily on access like Redis does, on an injectable clock so tests
// can move time.

/** One stored string. `seq` is fixed when the key is created; SCAN walks keys in `seq` order. */
interface Entry {
  value: Buffer;
  /** Absolute expiry in ms since the epoch, or null for no expiry. */
  expiresAt: number | null;
  seq: number;
}

/** The in-memory keyspace. */
export class Keyspace {
  readonly #entries = new Map<string, Entry>();
  #nextSeq = 1;

  /** @param now clock in ms since the epoch (defaults to Date.now). */
  constructor(readonly now: () => number = Date.now) {}

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt !== null && entry.expiresAt <= this.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /**
   * The value of a live key, or undefined.
   * @example store.get('k')?.toString()
   */
  get(key: string): Buffer | undefined {
    return this.#live(key)?.value;
  }

  has(key: string): boolean {
    return this.#live(key) !== undefined;
  }

  /** Expiry of a live key: undefined when missing, null when it never expires. */
  expiresAt(key: string): number | null | undefined {
    const entry = this.#live(key);
    return entry ? entry.expiresAt : undefined;
  }

  /**
   * Stores a value. `expiresAt: 'keep'` keeps the current expiry (KEEPTTL, INCR); otherwise it is replaced.
   * @example store.set('k', Buffer.from('v'), now + 1000)
   */
  set(key: string, value: Buffer, expiresAt: number | null | 'keep'): void {
    const old = this.#live(key);
    this.#entries.set(key, {
      value,
      expiresAt: expiresAt === 'keep' ? (old?.expiresAt ?? null) : expiresAt,
      seq: old?.seq ?? this.#nextSeq++,
    });
  }

  /** Sets the expiry of a live key; false when the key does not exist. */
  setExpiry(key: string, expiresAt: number | null): boolean {
    const entry = this.#live(key);
    if (!entry) return false;
    entry.expiresAt = expiresAt;
    return true;
  }

  delete(key: string): boolean {
    return this.#live(key) !== undefined && this.#entries.delete(key);
  }

  /** Live keys with their SCAN sequence numbers, oldest first. */
  keys(): Array<{ key: string; seq: number }> {
    const out: Array<{ key: string; seq: number }> = [];
    for (const key of [...this.#entries.keys()]) {
      const entry = this.#live(key);
      if (entry) out.push({ key, seq: entry.seq });
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  clear(): void {
    this.#entries.clear();
  }
}

/**
 * Compiles a Redis glob (`*`, `?`, `[a-z]`, `[^x]`, `\` escapes) to a RegExp.
 * @example globToRegExp('user:*').test('user:1') // true
 */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') out += '[\\s\\S]*';
    else if (c === '?') out += '[\\s\\S]';
    else if (c === '\\' && i + 1 < glob.length) out += escapeRe(glob[++i] as string);
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) {
        out += '\\[';
        continue;
      }
      let cls = glob.slice(i + 1, close);
      const negate = cls.startsWith('^');
      if (negate) cls = cls.slice(1);
      out += `[${negate ? '^' : ''}${cls.replace(/[\]\\]/g, '\\$&')}]`;
      i = close;
    } else out += escapeRe(c);
  }
  return new RegExp(`^${out}$`);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
