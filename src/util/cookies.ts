/**
 * The `name=value` pairs of a `Cookie` header, with each pair's exact text,
 * split the one way edge-auth reads them: on `;`, the name trimmed. The token
 * reader and the credential stripper share it, so the cookie edge-auth
 * verified is exactly the one it removes.
 *
 * @example
 * cookiePairs('a=1; session=eyJ…') // [{ name: 'a', value: '1', text: 'a=1' }, { name: 'session', … }]
 */
export function cookiePairs(header: string | null): { name: string; value: string; text: string }[] {
  if (!header) return [];
  const pairs: { name: string; value: string; text: string }[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    const text = part.trim();
    if (text === '') continue;
    pairs.push(
      eq === -1
        ? { name: '', value: text, text }
        : { name: part.slice(0, eq).trim(), value: part.slice(eq + 1).trim(), text },
    );
  }
  return pairs;
}
