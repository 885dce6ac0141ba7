/** What the browser reads of an answer: the global `Response`, or Miniflare's. */
export interface Answer {
  status: number;
  headers: { get(name: string): string | null; getSetCookie(): string[] };
  text(): Promise<string>;
}

/** Sends one request the way the test reaches the site: Miniflare's `dispatchFetch`, or the global `fetch`. */
export type Fetcher = (url: string, init: RequestInit) => Promise<Answer>;

/** A cookie as the jar keeps it. */
export interface StoredCookie {
  value: string;
  secure: boolean;
  httpOnly: boolean;
  sameSite: string | undefined;
}

/** An answer read once: status, headers and body text. */
export interface Page {
  status: number;
  headers: Answer['headers'];
  body: string;
}

/**
 * A browser in miniature for form flows: one site, a cookie jar that obeys the rules a browser
 * would (RFC 6265bis: a `Secure` cookie is neither stored from nor sent over http; a `__Host-`
 * cookie only with `Secure`, `Path=/` and no `Domain`; `Max-Age=0` or a past `Expires` deletes),
 * redirects not followed, and a POST that carries `Origin` and `Referer` of the page it was sent
 * from. Every cookie here has `Path=/`, so paths are not matched.
 *
 * @example
 * const browser = new Browser('https://edge.test', (url, init) => worker.mf.dispatchFetch(url, init));
 * const form = await browser.get('/login');
 * await browser.post('/login', { csrfmiddlewaretoken: csrfTokenOf(form.body), username, password });
 */
export class Browser {
  readonly cookies = new Map<string, StoredCookie>();
  /** The last page loaded: where the next form is posted from. */
  private page: string;

  constructor(
    readonly origin: string,
    private readonly send: Fetcher,
  ) {
    this.page = `${origin}/`;
  }

  get secure(): boolean {
    return this.origin.startsWith('https:');
  }

  async get(path: string): Promise<Page> {
    this.page = `${this.origin}${path}`;
    return this.request(path, { method: 'GET', headers: { 'Sec-Fetch-Site': 'same-origin' } });
  }

  /** Submits a form of the current page, or of `from` (another site's page, say). */
  async post(path: string, fields: Record<string, string>, from: string = this.page): Promise<Page> {
    const origin = new URL(from).origin;
    const body = new URLSearchParams(fields).toString();
    return this.request(path, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        // As a browser sends a form. Without it Miniflare relays the body chunked, and Django under
        // WSGI reads a body by CONTENT_LENGTH only: it would see an empty form.
        'Content-Length': String(Buffer.byteLength(body)),
        Origin: origin,
        Referer: from,
        'Sec-Fetch-Site': origin === this.origin ? 'same-origin' : 'cross-site',
      },
      body,
    });
  }

  private async request(
    path: string,
    init: { method: string; headers: Record<string, string>; body?: string },
  ) {
    const cookie = [...this.cookies]
      .filter(([, c]) => this.secure || !c.secure)
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
    const headers = cookie ? { ...init.headers, Cookie: cookie } : init.headers;
    const res = await this.send(`${this.origin}${path}`, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) this.store(line);
    return { status: res.status, headers: res.headers, body: await res.text() };
  }

  private store(line: string): void {
    const [pair = '', ...parts] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const attrs = new Map(
      parts.map((p) => {
        const [key = '', ...rest] = p.split('=');
        return [key.trim().toLowerCase(), rest.join('=').trim()] as const;
      }),
    );
    const secure = attrs.has('secure');
    if (eq < 1 || (secure && !this.secure)) return;
    if (name.startsWith('__Secure-') && !secure) return;
    if (name.startsWith('__Host-') && (!secure || attrs.get('path') !== '/' || attrs.has('domain'))) return;
    const maxAge = attrs.get('max-age');
    const expires = attrs.get('expires');
    const expired =
      maxAge !== undefined ? Number(maxAge) <= 0 : expires !== undefined && Date.parse(expires) <= Date.now();
    if (expired) {
      this.cookies.delete(name);
      return;
    }
    this.cookies.set(name, {
      value: pair.slice(eq + 1).trim(),
      secure,
      httpOnly: attrs.has('httponly'),
      sameSite: attrs.get('samesite'),
    });
  }
}

/**
 * The CSRF token of the first Django form on a page (`{% csrf_token %}`'s hidden field).
 *
 * @example
 * csrfTokenOf('<input type="hidden" name="csrfmiddlewaretoken" value="abc">') // 'abc'
 */
export function csrfTokenOf(html: string): string {
  const token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error(`no csrfmiddlewaretoken field in the page:\n${html.slice(0, 500)}`);
  return token;
}
