// What the isolates printed, read back: request lines counted and judged
// (the served/touch fields explain every Redis write), and every line searched
// for the run's secrets and tokens.
import type { IsolateOutput } from './observations';

/** The fields of the Worker's request line (src/http/observe.ts) the soak reads. */
interface RequestLine {
  msg: 'request';
  status: number;
  served?: string;
  touch?: string;
}

/** Counts over request lines. */
export interface RequestLineCounts {
  lines: number;
  /** By `served` (l1, hit, miss, degraded, off). */
  served: Record<string, number>;
  /** By `touch` (claim, write, marked, none). */
  touch: Record<string, number>;
}

function parse(line: string): RequestLine | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(line) as { msg?: unknown };
    return parsed.msg === 'request' ? (parsed as RequestLine) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Request lines of all isolates, over the whole run or only the measured load.
 *
 * @example countRequestLines(outputs, 'measured').touch.claim // marker claims sent during the load
 */
export function countRequestLines(outputs: IsolateOutput[], part: 'all' | 'measured'): RequestLineCounts {
  const counts: RequestLineCounts = { lines: 0, served: {}, touch: {} };
  for (const o of outputs) {
    for (const line of part === 'all' ? o.stdout : o.stdout.slice(o.measuredFrom)) {
      const parsed = parse(line);
      if (!parsed) continue;
      counts.lines++;
      if (parsed.served) counts.served[parsed.served] = (counts.served[parsed.served] ?? 0) + 1;
      if (parsed.touch) counts.touch[parsed.touch] = (counts.touch[parsed.touch] ?? 0) + 1;
    }
  }
  return counts;
}

// Any JWT (three base64url parts, the first one a JSON object), minted here or not.
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/;

/**
 * Where secrets appear, as "name in isolate N stdout" (never the value). Tokens
 * are searched one by one and also by shape, so a token printed in part or a
 * JWT the run did not mint is found too.
 *
 * @example leaks(outputs, { 'JWT secret': secret }, tokens) // []
 */
export function leaks(outputs: IsolateOutput[], secrets: Record<string, string>, tokens: string[]): string[] {
  const found = new Set<string>();
  const searched: [string, string][] = [
    ...Object.entries(secrets),
    ...tokens.flatMap((t, i): [string, string][] => {
      // The signature alone identifies a token; the header is shared by all of them.
      const signature = t.split('.')[2] ?? t;
      return [
        [`token ${i}`, t],
        [`token ${i} signature`, signature],
      ];
    }),
  ];
  for (const [name, value] of searched) {
    if (value.length < 16) throw new Error(`"${name}" is too short to search for meaningfully`);
  }
  for (const o of outputs) {
    for (const stream of ['stdout', 'stderr'] as const) {
      // One text per stream: a search per secret over it, instead of one per line.
      const text = o[stream].join('\n');
      for (const [name, value] of searched) {
        if (text.includes(value)) found.add(`${name} in isolate ${o.isolate} ${stream}`);
      }
      if (JWT_SHAPE.test(text)) found.add(`a JWT in isolate ${o.isolate} ${stream}`);
    }
  }
  return [...found];
}
