// HTTP for the NGSI-LD client, with nothing but fetch, AbortController and URL (so a browser can use it too): the
// configured bases only (no open proxy), tenant/@context/credential headers, a time-out that covers the body, retries
// with exponential backoff and jitter for idempotent requests, and every bad answer turned into an NgsiLdClientError.
import { NgsiLdClientError, describeProblem, kindOfAnswer, problemTypeOf } from './errors';

/** The JSON-LD context link relation. */
export const CONTEXT_RELATION = 'http://www.w3.org/ns/json-ld#context';

/** How to reach one HTTP JSON service and how patient to be with it. */
export interface HttpTransportOptions {
  /** Base URL; request paths are appended to it (e.g. `http://host:1026/ngsi-ld/v1`). */
  baseUrl: string;
  /** Further bases requests may go to (the temporal service), by name. */
  bases?: Record<string, string | undefined>;
  /** `NGSILD-Tenant` header (default none). */
  tenant?: string;
  /** User @context URL sent in the Link header (default none: the broker's core context). */
  context?: string;
  /** Bearer token (`Authorization: Bearer …`, default none). */
  token?: string;
  /** API key (default none), sent in `apiKeyHeader`. */
  apiKey?: string;
  /** Header that carries the API key (default `X-API-Key`). */
  apiKeyHeader?: string;
  /** Milliseconds one attempt may take, body included (default 10 000). */
  timeoutMs?: number;
  /** Further attempts for idempotent requests after a network error, 5xx or 429 (default 2). */
  retries?: number;
  /** First backoff in milliseconds; doubled per attempt, with jitter (default 200). */
  retryBaseMs?: number;
  /** Longest wait between attempts, Retry-After included (default 5000). */
  retryMaxMs?: number;
  /** The fetch to use (default the global one). */
  fetch?: typeof fetch;
}

/** Query parameter values; undefined ones are left out. */
export type QueryParameters = Record<string, string | number | boolean | undefined>;

/** One request. */
export interface HttpRequest {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Path below the base (starting with `/`), or an absolute URL below a configured base (a `next` link). */
  path: string;
  /** Which base: `default` or a name of `bases` (default `default`). */
  base?: string;
  query?: QueryParameters;
  body?: unknown;
  /** Accept header (default `application/json`). */
  accept?: string;
  /** Where the @context goes: the Link header (default), inside the body (`application/ld+json`, no Link), nowhere. */
  context?: 'link' | 'body' | 'none';
  /** Whether repeating the request is harmless (default: GET, PUT and DELETE are). */
  idempotent?: boolean;
  /** Milliseconds this request may take (default the transport's). */
  timeoutMs?: number;
  /** Further attempts after transient failures (default the transport's). */
  retries?: number;
  signal?: AbortSignal;
  /** Extra headers. */
  headers?: Record<string, string>;
}

/** An answer: status, headers, the parsed JSON body (undefined when empty) and the URL asked. */
export interface HttpAnswer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  url: string;
}

interface Attempt {
  answer?: HttpAnswer;
  error?: NgsiLdClientError;
  /** Whether another attempt may help. */
  transient?: boolean;
  /** Whether the request surely never reached the server (connection refused), so even a write may be repeated. */
  unsent?: boolean;
  retryAfterMs?: number;
}

const JSON_MEDIA = /^application\/([a-z.+-]+\+)?json$/;

/** Sends requests to the configured bases only; see {@link HttpTransportOptions}. */
export class HttpTransport {
  readonly baseUrl: string;
  readonly options: Readonly<HttpTransportOptions>;
  readonly #bases = new Map<string, string>();
  readonly #fetch: typeof fetch;
  readonly #loopback: boolean;

  constructor(options: HttpTransportOptions) {
    this.options = options;
    this.baseUrl = trimBase(options.baseUrl);
    this.#bases.set('default', this.baseUrl);
    for (const [name, url] of Object.entries(options.bases ?? {}))
      if (url) this.#bases.set(name, trimBase(url));
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#loopback = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(new URL(this.baseUrl).hostname);
  }

  /** The base URL of a name, or undefined when not configured. */
  base(name = 'default'): string | undefined {
    return this.#bases.get(name);
  }

  /** The Link header value naming a context. */
  static contextLink(url: string): string {
    return `<${url}>; rel="${CONTEXT_RELATION}"; type="application/ld+json"`;
  }

  /**
   * Sends one request, retrying idempotent ones after network errors, 5xx and 429 with exponential backoff and
   * jitter (Retry-After honoured), and reads its JSON answer.
   * @throws NgsiLdClientError: `unavailable` for no answer, a time-out, 5xx or 429; `incompatible` for HTML, broken
   *   JSON or a redirect; for other 4xx the kind its problem type (or status) says
   */
  async request<T = unknown>(request: HttpRequest): Promise<HttpAnswer<T>> {
    const method = request.method ?? 'GET';
    const url = this.#resolve(request);
    const idempotent = request.idempotent ?? (method === 'GET' || method === 'PUT' || method === 'DELETE');
    const retries = Math.max(0, request.retries ?? this.options.retries ?? 2);
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.#attempt(method, url, request);
      if (outcome.answer) return outcome.answer as HttpAnswer<T>;
      const error = outcome.error!;
      if (
        attempt >= retries ||
        !outcome.transient ||
        !(idempotent || outcome.unsent) ||
        request.signal?.aborted
      )
        throw error;
      const base = this.options.retryBaseMs ?? 200;
      const most = this.options.retryMaxMs ?? 5000;
      // Full backoff doubles per attempt; jitter spreads clients that failed together over the second half of it.
      const backoff = Math.min(most, base * 2 ** attempt) * (0.5 + Math.random() * 0.5);
      await sleep(Math.min(most, outcome.retryAfterMs ?? backoff), request.signal);
      request.signal?.throwIfAborted();
    }
  }

  #resolve(request: HttpRequest): URL {
    const baseName = request.base ?? 'default';
    const base = this.#bases.get(baseName);
    if (!base)
      throw new NgsiLdClientError(`no ${baseName} URL is configured for this broker`, 'not-implemented');
    let url: URL;
    if (/^[a-z][a-z0-9+.-]*:/i.test(request.path) || request.path.startsWith('//')) {
      url = new URL(request.path, base);
    } else if (request.path.startsWith('/') && !request.path.startsWith(new URL(base).pathname + '/')) {
      url = new URL(base + request.path);
    } else {
      // A root-relative link the broker gave (`</ngsi-ld/v1/entities?offset=…>`): resolved against the base's origin.
      url = new URL(request.path, base);
    }
    // Only below a configured base: links in answers must not make this a proxy to anywhere.
    if (![...this.#bases.values()].some((allowed) => isBelow(url, allowed)))
      throw new NgsiLdClientError(
        `${url.origin}${url.pathname} is not below the configured broker URL; not followed`,
        'incompatible',
      );
    for (const [name, value] of Object.entries(request.query ?? {}))
      if (value !== undefined) url.searchParams.set(name, String(value));
    return url;
  }

  #headers(request: HttpRequest): Record<string, string> {
    const headers: Record<string, string> = { accept: request.accept ?? 'application/json' };
    // Compressing an answer that never leaves the machine (the embedded broker) only costs CPU on both ends.
    if (this.#loopback) headers['accept-encoding'] = 'identity';
    const options = this.options;
    if (options.tenant) headers['NGSILD-Tenant'] = options.tenant;
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.apiKey) headers[options.apiKeyHeader ?? 'X-API-Key'] = options.apiKey;
    const placement = request.context ?? 'link';
    if (placement === 'link' && options.context) headers.link = HttpTransport.contextLink(options.context);
    if (request.body !== undefined)
      headers['content-type'] = placement === 'body' ? 'application/ld+json' : 'application/json';
    return { ...headers, ...request.headers };
  }

  async #attempt(method: string, url: URL, request: HttpRequest): Promise<Attempt> {
    const what = `${method} ${url.pathname}`;
    // The caller's own cancellation stays what it is (an AbortError), not a broker failure.
    request.signal?.throwIfAborted();
    const timeoutMs = request.timeoutMs ?? this.options.timeoutMs ?? 10_000;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const forward = () => controller.abort();
    request.signal?.addEventListener('abort', forward, { once: true });
    let response: Response;
    let text: string;
    try {
      // The signal covers reading the body too, so a broker that stalls mid-answer cannot hang the caller.
      response = await this.#fetch(url, {
        method,
        headers: this.#headers(request),
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: controller.signal,
        redirect: 'manual',
      });
      text = await response.text();
    } catch (error) {
      if (timedOut)
        // A time-out is not retried: a broker that hangs would otherwise hold the caller several times as long.
        return { error: new NgsiLdClientError(`${what}: no answer within ${timeoutMs} ms`, 'unavailable') };
      if (request.signal?.aborted) throw error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const code = cause?.code;
      return {
        error: new NgsiLdClientError(
          `${what}: ${code ?? cause?.message ?? (error as Error).message}`,
          'unavailable',
        ),
        transient: true,
        unsent: code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN',
      };
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', forward);
    }
    const status = response.status;
    // Redirects are not followed: they could lead off the configured broker.
    if ((status >= 300 && status < 400) || response.type === 'opaqueredirect')
      return {
        error: new NgsiLdClientError(
          `${what}: HTTP ${status} redirects elsewhere; not followed`,
          'incompatible',
          status,
        ),
      };
    const transient = status >= 500 || status === 429;
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    let body: unknown;
    if (text.trim() !== '') {
      if (mediaType === 'text/html' || /^\s*</.test(text)) {
        return {
          error: new NgsiLdClientError(
            `${what}: HTTP ${status} answered with HTML instead of JSON`,
            transient ? 'unavailable' : 'incompatible',
            status,
          ),
          transient,
        };
      }
      try {
        body = JSON.parse(text);
      } catch (error) {
        return {
          error: new NgsiLdClientError(
            `${what}: HTTP ${status} answered with broken JSON (${(error as Error).message.slice(0, 200)})`,
            transient ? 'unavailable' : 'incompatible',
            status,
          ),
          transient,
        };
      }
      if (mediaType !== '' && !JSON_MEDIA.test(mediaType) && status < 400)
        return {
          error: new NgsiLdClientError(
            `${what}: HTTP ${status} answered ${mediaType}, not JSON`,
            'incompatible',
            status,
          ),
        };
    }
    if (status >= 400) {
      const problemType = problemTypeOf(body);
      return {
        error: new NgsiLdClientError(
          `${what}: HTTP ${status}${describeProblem(body)}`,
          kindOfAnswer(status, problemType),
          status,
          problemType,
          body,
        ),
        transient: transient && status !== 501,
        retryAfterMs: readRetryAfter(response.headers.get('retry-after')),
      };
    }
    return { answer: { status, headers: response.headers, body, url: url.href } };
  }
}

function trimBase(url: string): string {
  return url.replace(/\/+$/, '');
}

function isBelow(url: URL, base: string): boolean {
  const allowed = new URL(base);
  if (url.origin !== allowed.origin) return false;
  const prefix = allowed.pathname.replace(/\/+$/, '');
  return url.pathname === prefix || url.pathname.startsWith(prefix + '/');
}

/** Milliseconds a Retry-After header asks for (delta seconds or an HTTP date), or undefined. */
export function readRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

function sleep(milliseconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, milliseconds);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * The links of a `Link` header by relation (`next`, `prev`, the JSON-LD context relation); several headers may be
 * folded into one comma-separated value.
 */
export function parseLinkHeader(header: string | null): Map<string, string> {
  const links = new Map<string, string>();
  if (!header) return links;
  for (const match of header.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const relation = /;\s*rel\s*=\s*"?([^";,]+)"?/i.exec(match[2])?.[1];
    if (relation) for (const name of relation.split(/\s+/)) if (!links.has(name)) links.set(name, match[1]);
  }
  return links;
}
