import fc from 'fast-check';

/**
 * What a transport can carry, and spellings: the text pieces every
 * generator of header names and values shares.
 */

/**
 * Text of printable Latin-1 and the control characters HTTP clients do send (TAB, BEL, ESC, DEL…).
 *
 * @example
 * fc.sample(latin1Text(8, false), 1) // ['aÿ\tb']
 */
export function latin1Text(maxLength: number, controls: boolean): fc.Arbitrary<string> {
  const unit = fc.oneof(
    {
      weight: 12,
      arbitrary: fc.integer({ min: 0x20, max: 0xff }).filter((code) => controls || code !== 0x7f),
    },
    {
      weight: 1,
      arbitrary: controls
        ? fc.constantFrom(0x01, 0x07, 0x09, 0x0b, 0x0c, 0x1b, 0x1f, 0x7f)
        : fc.constant(0x09),
    },
  );
  return fc.string({ unit: unit.map((code) => String.fromCharCode(code)), maxLength });
}

/** Bytes an HTTP/1 client refuses to put in a header value (all controls but TAB). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
export const WIRE_FORBIDDEN = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/**
 * Spells `base` with the letters' case and `-`/`_` chosen by two bit masks.
 *
 * @example
 * spell('x-auth-user-id', 0b101, 0b10) // 'X_Auth-user-id'
 */
export function spell(base: string, caseMask: number, underscoreMask: number): string {
  return [...base]
    .map((ch, i) => {
      const bit = 1 << (i % 30);
      if (ch === '-') return underscoreMask & bit ? '_' : '-';
      return caseMask & bit ? ch.toUpperCase() : ch;
    })
    .join('');
}

/**
 * The helpers of one transport. `fetch`: anything `new Request()` accepts,
 * control bytes in header values included. `http`: what an HTTP/1 client
 * puts on the wire (no control bytes but TAB), so few cases are refused
 * before the Worker.
 *
 * @example
 * const { sendable, text } = transport(true);
 * sendable(['a', 'x\u0007y']) // ['a']
 */
export function transport(wire: boolean) {
  return {
    wire,
    /** Keeps what the transport can carry. */
    sendable: (values: string[]) => (wire ? values.filter((v) => !WIRE_FORBIDDEN.test(v)) : values),
    text: (maxLength: number) => latin1Text(maxLength, !wire),
  };
}

export type Transport = ReturnType<typeof transport>;
