import { base64urlDecode, latin1 } from './encoding';
import { type InflateFailure, inflate } from './inflate';

/**
 * Why verified session data could not be read:
 * - `undecodable`: bad base64, zlib or JSON, or JSON that is not an object
 *   (Django reads those as an empty or broken session: anonymous either way);
 * - `too-large`: inflates past the bound;
 * - `pickled`: written by `PickleSerializer` (deprecated in Django 4.1, gone in
 *   5.0). Django would unpickle it; edge-auth never does, and says so, so the
 *   site can be told to move to JSON.
 */
export type PayloadFailure = InflateFailure | 'pickled';

export type PayloadResult =
  | { ok: true; data: Record<string, unknown> }
  | { ok: false; reason: PayloadFailure };

/**
 * Decodes the data part of a verified signed value as Django's
 * `Signer.unsign_object` and `JSONSerializer.loads` do: a leading `.` means
 * zlib, the bytes are read as Latin-1, and the JSON may hold Python's `NaN`
 * and `Infinity` (Django's `json.dumps` writes them; they are read as
 * `null` here). Call it only on data whose signature held. Never throws.
 *
 * @example
 * const out = await decodeDjangoPayload(unsigned.data, 1 << 20);
 * if (out.ok) out.data._auth_user_id;
 */
export async function decodeDjangoPayload(data: string, maxBytes: number): Promise<PayloadResult> {
  const compressed = data.startsWith('.');
  const raw = base64urlDecode(compressed ? data.slice(1) : data);
  if (raw === undefined) return { ok: false, reason: 'undecodable' };
  let bytes = raw;
  if (compressed) {
    const inflated = await inflate(raw, maxBytes);
    if (!inflated.ok) return inflated;
    bytes = inflated.bytes;
  }
  if (bytes.length > maxBytes) return { ok: false, reason: 'too-large' };
  if (isPickle(bytes)) return { ok: false, reason: 'pickled' };
  const parsed = parsePythonJson(latin1(bytes));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: 'undecodable' };
  }
  return { ok: true, data: parsed as Record<string, unknown> };
}

/**
 * Whether `bytes` look like `pickle.dumps(obj, HIGHEST_PROTOCOL)`, which is
 * what Django's `PickleSerializer` writes: the PROTO opcode (0x80) with a
 * protocol from 2 to 5 first, the STOP opcode (`.`) last. JSON never starts
 * with 0x80.
 *
 * @example
 * isPickle(new Uint8Array([0x80, 0x05, 0x7d, 0x94, 0x2e])) // true
 */
export function isPickle(bytes: Uint8Array): boolean {
  const protocol = bytes[1] ?? 0;
  return bytes[0] === 0x80 && protocol >= 2 && protocol <= 5 && bytes[bytes.length - 1] === 0x2e;
}

/**
 * `JSON.parse` with what Python's `json.loads` also accepts: the bare
 * `NaN`, `Infinity` and `-Infinity` outside strings (read as `null`, enough
 * for the string fields edge-auth reads). `undefined` when it is not JSON.
 *
 * @example
 * parsePythonJson('{"a":NaN}') // { a: null }
 */
export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Rare: only a session that stored a float NaN or infinity gets here.
  }
  try {
    return JSON.parse(replaceNonFinite(text));
  } catch {
    return undefined;
  }
}

const NON_FINITE = ['-Infinity', 'Infinity', 'NaN'];

function replaceNonFinite(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') {
        out += char + (text[i + 1] ?? '');
        i++;
        continue;
      }
      if (char === '"') inString = false;
      out += char;
      continue;
    }
    if (char === '"') inString = true;
    const token = NON_FINITE.find((t) => text.startsWith(t, i));
    if (token) {
      out += 'null';
      i += token.length - 1;
    } else {
      out += char;
    }
  }
  return out;
}
