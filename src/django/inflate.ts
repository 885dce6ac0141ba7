/** Why inflating failed: not a zlib stream, or more than the allowed bytes. */
export type InflateFailure = 'undecodable' | 'too-large';

/**
 * Decompresses a zlib stream (RFC 1950, what Python's `zlib.compress`
 * writes and `DecompressionStream('deflate')` reads), stopping as soon as the
 * output passes `maxBytes`: Django signs before it compresses, so only
 * Django's own data gets here, but a bound keeps one odd row from taking the
 * isolate's memory. Never throws.
 *
 * @example
 * const out = await inflate(bytes, 1 << 20);
 * if (out.ok) use(out.bytes); else log(out.reason);
 */
export async function inflate(
  compressed: Uint8Array,
  maxBytes: number,
): Promise<{ ok: true; bytes: Uint8Array } | { ok: false; reason: InflateFailure }> {
  const stream = new DecompressionStream('deflate');
  const writer = stream.writable.getWriter();
  // Not awaited: the reader below drains the stream, and a corrupt input rejects the reads too.
  writer.write(compressed).catch(() => {});
  writer.close().catch(() => {});
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        reader.cancel().catch(() => {});
        return { ok: false, reason: 'too-large' };
      }
      chunks.push(value);
    }
  } catch {
    return { ok: false, reason: 'undecodable' };
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, bytes };
}
