// Minimal RESP2 codec: encodes commands as arrays of bulk strings and parses
// replies incrementally, keeping Redis's raw shapes (no per-command reshaping,
// which is exactly what the Upstash REST API relays).
import { type Reply, ReplyError } from './engine';

const CRLF = Buffer.from('\r\n');

/**
 * Encodes one command as a RESP2 array of bulk strings.
 * @example socket.write(encodeCommand(['SET', 'k', 'v']));
 */
export function encodeCommand(args: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(arg, 'utf8');
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF);
  }
  return Buffer.concat(parts);
}

/** Returned by `parseAt` when the buffer ends before the reply does. */
const INCOMPLETE = Symbol('incomplete');
type Parsed = { value: Reply; end: number } | typeof INCOMPLETE;

function parseAt(buf: Buffer, pos: number): Parsed {
  if (pos >= buf.length) return INCOMPLETE;
  const eol = buf.indexOf(CRLF, pos + 1);
  if (eol < 0) return INCOMPLETE;
  const line = buf.toString('utf8', pos + 1, eol);
  const next = eol + 2;
  switch (buf[pos]) {
    case 0x2b: // '+' status
      return { value: line, end: next };
    case 0x2d: // '-' error
      return { value: new ReplyError(line), end: next };
    case 0x3a: // ':' integer
      return { value: Number(line), end: next };
    case 0x24: {
      // '$' bulk string
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (buf.length < next + len + 2) return INCOMPLETE;
      return { value: Buffer.from(buf.subarray(next, next + len)), end: next + len + 2 };
    }
    case 0x2a: {
      // '*' array
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: Reply[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseAt(buf, at);
        if (item === INCOMPLETE) return INCOMPLETE;
        items.push(item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new Error(`RESP protocol error: unexpected type byte 0x${buf[pos]?.toString(16)}`);
  }
}

/** Incremental RESP2 reply parser: feed socket chunks, get complete replies back. */
export class RespParser {
  #buf: Buffer = Buffer.alloc(0);

  /**
   * Appends a chunk and returns every reply it completed, in order.
   * @example socket.on('data', (c) => parser.push(c).forEach(deliver));
   */
  push(chunk: Buffer): Reply[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const replies: Reply[] = [];
    let pos = 0;
    for (;;) {
      const parsed = parseAt(this.#buf, pos);
      if (parsed === INCOMPLETE) break;
      replies.push(parsed.value);
      pos = parsed.end;
    }
    this.#buf = this.#buf.subarray(pos);
    return replies;
  }
}
