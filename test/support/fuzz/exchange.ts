/**
 * The plain data a fuzzing case is made of and what a layer observes of it:
 * shared by the generators, both harnesses and the oracle. Plain data, so a
 * failing case can be pasted into a regression test.
 */

/** Which dependency the test takes down for one case. */
export type Outage = 'none' | 'redis' | 'database' | 'both';

/** One generated request. */
export interface FuzzRequest {
  method: string;
  /** Path and query, appended to the Worker's origin. */
  path: string;
  headers: [string, string][];
  body: string | null;
  outage: Outage;
  /** Headers the origin answers this request with (`Cache-Control` …); none when absent. */
  answer?: [string, string][];
}

/** A request as the origin received it: its path (no query) and every header as sent. */
export interface OriginRecord {
  path: string;
  headers: [string, string][];
}

/** One case as observed by a layer. */
export interface Exchange {
  request: FuzzRequest;
  /** The method as the client sent it (`fetch` upper-cases the six standard ones). */
  method: string;
  /** The headers the client really sent (after the HTTP client's normalisation). */
  sent: Headers;
  response: { status: number; headers: [string, string][]; body: string };
  /** Requests the origin received while this case ran. */
  origin: OriginRecord[];
  /** Sessions whose revocation this case caused (read from the store). */
  revoked: string[];
  /** The lines edge-auth logged for this request, where the layer can tell them apart. */
  logs?: string[];
}
