// The live relay's own small HTTP calls to the configured NGSI-LD broker: timeouts on every call, problem-details
// aware, and every bad answer (no answer, HTML, broken JSON, odd shapes) turned into a BrokerError that says why.
import { randomUUID } from 'node:crypto';

/** How a broker failed: `unavailable` (no usable answer now) or `incompatible` (it answers, but not as NGSI-LD). */
export type BrokerFailure = 'unavailable' | 'incompatible';

/** A broker call that failed; `state` is what the viewer is told, the message says why. */
export class BrokerError extends Error {
  override name = 'BrokerError';
  constructor(
    message: string,
    readonly state: BrokerFailure,
    /** The HTTP status, when the broker answered. */
    readonly status?: number,
    /** The last path segment of the problem type (`ResourceNotFound`, `TooManyResults`), when there was one. */
    readonly problemType?: string,
  ) {
    super(message);
  }
}

/** Where and how to reach the broker. */
export interface LiveBrokerOptions {
  /** Base URL ending before `/entities` (e.g. `http://host:1026/ngsi-ld/v1`). */
  url: string;
  tenant?: string;
  /** A user @context URL sent in the Link header (default none: the core context). */
  context?: string;
  /** Bearer token (default none). */
  token?: string;
  /** Milliseconds one call may take, body included (default 5000). */
  timeoutMs?: number;
  /** Most entities a full query reads before it stops (default 50 000), bounding memory. */
  maxEntities?: number;
}

/** A broker answer: status, headers, parsed JSON body (undefined for an empty body). */
export interface BrokerAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

/** An NGSI-LD entity as the broker sends it (normalized, concise or keyValues). */
export type BrokerEntity = Record<string, unknown> & { id: string; type: string | string[] };

const MAX_ERROR_TEXT = 200;

/** The trimmed last path segment of a problem type URI (Scorpio writes some with a trailing space). */
export function problemTypeOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const type = (body as { type?: unknown }).type;
  if (typeof type !== 'string') return undefined;
  const segments = type.trim().split('/');
  return segments[segments.length - 1] || undefined;
}

/** Calls one configured broker; it never talks to any other host (no open proxy). */
export class LiveBrokerClient {
  readonly url: string;
  readonly #options: LiveBrokerOptions & { timeoutMs: number; maxEntities: number };

  constructor(options: LiveBrokerOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#options = {
      timeoutMs: 5000,
      maxEntities: 50_000,
      ...(Object.fromEntries(
        Object.entries(options).filter(([, value]) => value !== undefined),
      ) as LiveBrokerOptions),
    };
  }

  /**
   * Sends one request to the broker and reads its JSON answer.
   * @throws BrokerError `unavailable` for no answer, a timeout or a 5xx; `incompatible` for a non-JSON answer;
   *   for a 4xx with problem details, a BrokerError carrying the status and problem type (state `incompatible`)
   */
  async request(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    options: { query?: Record<string, string | number | undefined>; body?: unknown } = {},
  ): Promise<BrokerAnswer> {
    const url = new URL(this.url + path);
    for (const [name, value] of Object.entries(options.query ?? {}))
      if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#options.tenant) headers['ngsild-tenant'] = this.#options.tenant;
    if (this.#options.token) headers.authorization = `Bearer ${this.#options.token}`;
    if (this.#options.context)
      headers.link = `<${this.#options.context}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const what = `${method} ${url.pathname}`;
    let response: Response;
    let text: string;
    try {
      // The signal covers reading the body too, so a broker that stalls mid-answer cannot hang the relay.
      const signal = AbortSignal.timeout(this.#options.timeoutMs);
      response = await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal,
        redirect: 'error',
      });
      text = await response.text();
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError')
        throw new BrokerError(`${what}: no answer within ${this.#options.timeoutMs} ms`, 'unavailable');
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new BrokerError(
        `${what}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
        'unavailable',
      );
    }
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    let body: unknown;
    if (text.trim() !== '') {
      if (mediaType === 'text/html' || /^\s*</.test(text)) {
        throw new BrokerError(
          `${what}: HTTP ${response.status} answered with HTML instead of JSON`,
          response.status >= 500 ? 'unavailable' : 'incompatible',
          response.status,
        );
      }
      try {
        body = JSON.parse(text);
      } catch (error) {
        throw new BrokerError(
          `${what}: HTTP ${response.status} answered with broken JSON (${(error as Error).message.slice(0, MAX_ERROR_TEXT)})`,
          response.status >= 500 ? 'unavailable' : 'incompatible',
          response.status,
        );
      }
    }
    if (response.status >= 500) {
      throw new BrokerError(
        `${what}: HTTP ${response.status}${describeProblem(body)}`,
        'unavailable',
        response.status,
        problemTypeOf(body),
      );
    }
    if (response.status >= 400) {
      throw new BrokerError(
        `${what}: HTTP ${response.status}${describeProblem(body)}`,
        'incompatible',
        response.status,
        problemTypeOf(body),
      );
    }
    return { status: response.status, headers: response.headers, body };
  }

  /**
   * The entity types the broker holds (`GET /types`), as compact names.
   * @throws BrokerError, `incompatible` when the answer is not an EntityTypeList
   */
  async fetchTypes(): Promise<string[]> {
    const { body } = await this.request('GET', '/types');
    // Some brokers answer the list itself, some the EntityTypeList object, some details objects.
    const list = Array.isArray(body) ? body : (body as { typeList?: unknown } | undefined)?.typeList;
    if (!Array.isArray(list))
      throw new BrokerError(
        `GET /types: expected an EntityTypeList, got ${describeShape(body)}`,
        'incompatible',
      );
    const types = list.map((item) =>
      typeof item === 'string' ? item : (item as { typeName?: unknown } | null)?.typeName,
    );
    if (!types.every((type): type is string => typeof type === 'string' && type !== ''))
      throw new BrokerError('GET /types: typeList holds something other than type names', 'incompatible');
    return [...new Set(types)].sort();
  }

  /**
   * Every entity of the given types, page by page (limit 1000, or 100 for brokers with a lower maximum).
   * @throws BrokerError, `incompatible` when a page is not an array of entities or the broker holds too many
   */
  async queryEntities(types: string[]): Promise<BrokerEntity[]> {
    if (types.length === 0) return [];
    const entities: BrokerEntity[] = [];
    let limit = 1000;
    for (let offset = 0; ;) {
      let body: unknown;
      try {
        ({ body } = await this.request('GET', '/entities', {
          query: { type: types.join(','), limit, offset },
        }));
      } catch (error) {
        // Brokers whose maximum limit is lower answer 400 or 403 TooManyResults; Stellio's maximum is 100.
        if (error instanceof BrokerError && (error.status === 400 || error.status === 403) && limit > 100) {
          limit = 100;
          continue;
        }
        throw error;
      }
      if (!Array.isArray(body))
        throw new BrokerError(
          `GET /entities: expected an array of entities, got ${describeShape(body)}`,
          'incompatible',
        );
      for (const item of body) {
        if (!isBrokerEntity(item))
          throw new BrokerError(
            `GET /entities: an element is not an entity with id and type (${describeShape(item)})`,
            'incompatible',
          );
        entities.push(item);
      }
      if (entities.length > this.#options.maxEntities)
        throw new BrokerError(
          `the broker holds more than ${this.#options.maxEntities} entities of types ${types.join(', ')}; narrow the types`,
          'incompatible',
        );
      if (body.length < limit) return entities;
      offset += body.length;
    }
  }

  /**
   * One entity, or undefined when the broker does not know it.
   * @throws BrokerError for any other failure
   */
  async getEntity(id: string): Promise<BrokerEntity | undefined> {
    try {
      const { body } = await this.request('GET', `/entities/${encodeURIComponent(id)}`);
      if (!isBrokerEntity(body))
        throw new BrokerError(
          `GET /entities/{id}: expected an entity, got ${describeShape(body)}`,
          'incompatible',
        );
      return body;
    } catch (error) {
      if (error instanceof BrokerError && error.status === 404) return undefined;
      throw error;
    }
  }

  /**
   * Creates a subscription for entities of `types` notifying `endpoint`; returns its id.
   * @throws BrokerError when the broker refuses it
   */
  async createSubscription(options: {
    types: string[];
    endpoint: string;
    description: string;
    expiresAt: string;
    throttling?: number;
  }): Promise<string> {
    const id = `urn:ngsi-ld:Subscription:plaza-live-${randomUUID()}`;
    await this.request('POST', '/subscriptions', {
      body: {
        id,
        type: 'Subscription',
        description: options.description,
        entities: options.types.map((type) => ({ type })),
        notification: {
          format: 'normalized',
          endpoint: { uri: options.endpoint, accept: 'application/json' },
        },
        expiresAt: options.expiresAt,
        ...(options.throttling ? { throttling: options.throttling } : {}),
        isActive: true,
      },
    });
    return id;
  }

  /**
   * A subscription's current document, or undefined when the broker no longer has it.
   * @throws BrokerError for any other failure
   */
  async getSubscription(id: string): Promise<Record<string, unknown> | undefined> {
    try {
      const { body } = await this.request('GET', `/subscriptions/${encodeURIComponent(id)}`);
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new BrokerError(
          `GET /subscriptions/{id}: expected a subscription, got ${describeShape(body)}`,
          'incompatible',
        );
      return body as Record<string, unknown>;
    } catch (error) {
      if (error instanceof BrokerError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** Changes members of a subscription (e.g. `expiresAt`). @throws BrokerError */
  async updateSubscription(id: string, patch: Record<string, unknown>): Promise<void> {
    await this.request('PATCH', `/subscriptions/${encodeURIComponent(id)}`, { body: patch });
  }

  /** Deletes a subscription; one that is already gone is fine. @throws BrokerError for other failures */
  async deleteSubscription(id: string): Promise<void> {
    try {
      await this.request('DELETE', `/subscriptions/${encodeURIComponent(id)}`);
    } catch (error) {
      if (error instanceof BrokerError && error.status === 404) return;
      throw error;
    }
  }

  /** The broker's subscriptions (first 1000), for removing stale ones this server left. @throws BrokerError */
  async listSubscriptions(): Promise<Array<Record<string, unknown>>> {
    const { body } = await this.request('GET', '/subscriptions', { query: { limit: 1000 } });
    if (!Array.isArray(body))
      throw new BrokerError(
        `GET /subscriptions: expected an array, got ${describeShape(body)}`,
        'incompatible',
      );
    return body.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null);
  }
}

/** Whether a value looks like an NGSI-LD entity (an object with a string id and a type). */
export function isBrokerEntity(value: unknown): value is BrokerEntity {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { id, type } = value as { id?: unknown; type?: unknown };
  return (
    typeof id === 'string' &&
    id !== '' &&
    (typeof type === 'string' || (Array.isArray(type) && type.every((item) => typeof item === 'string')))
  );
}

function describeProblem(body: unknown): string {
  if (typeof body !== 'object' || body === null) return '';
  const { title, detail } = body as { title?: unknown; detail?: unknown };
  const text = [title, detail].filter((part) => typeof part === 'string' && part !== '').join(': ');
  return text ? ` (${text.slice(0, MAX_ERROR_TEXT)})` : '';
}

/** A short description of what a JSON value is, for error messages. */
export function describeShape(value: unknown): string {
  if (value === undefined) return 'an empty body';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).slice(0, 5);
    return `an object with ${keys.length ? keys.join(', ') : 'no members'}`;
  }
  return `a ${typeof value}`;
}
