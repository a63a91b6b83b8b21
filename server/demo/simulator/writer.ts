// Writes entities to any NGSI-LD broker over its HTTP API (batch upsert and batch update), with the tenant, bearer
// token and @context Link header of the configuration. Knows nothing of sensors.
import type { NgsiLdEntity } from './model';

/** A write the broker refused or that never reached it; `status` is absent when there was no answer. */
export class NgsiLdWriteError extends Error {
  override name = 'NgsiLdWriteError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Options of {@link NgsiLdWriter}. */
export interface NgsiLdWriterOptions {
  /** The broker's API root, e.g. `http://localhost:8080/ngsi-ld/v1` (no trailing slash needed). */
  url: string;
  /** `NGSILD-Tenant` header (default none: the default tenant). */
  tenant?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** A user @context URL sent in the Link header; without it terms resolve through the core context's vocabulary. */
  context?: string;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  /** Entities per batch request (default 500; Scorpio caps batches at 1,000). */
  batchSize?: number;
}

/** What a batch did: the ids that failed, with the broker's reason, and how many succeeded. */
export interface BatchOutcome {
  succeeded: number;
  errors: Array<{ id: string; type: string; detail: string }>;
}

function problemSummary(body: unknown, status: number): string {
  if (typeof body === 'object' && body !== null) {
    const problem = body as Record<string, unknown>;
    const type =
      typeof problem['type'] === 'string' ? String(problem['type']).trim().split('/').pop() : undefined;
    const detail = problem['detail'] ?? problem['title'];
    if (type || detail) return `${status} ${type ?? ''}${detail ? `: ${String(detail)}` : ''}`.trim();
  }
  return `HTTP ${status}`;
}

/** An NGSI-LD batch writer. */
export class NgsiLdWriter {
  readonly url: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #batchSize: number;
  readonly #abort = new AbortController();

  constructor(options: NgsiLdWriterOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#batchSize = options.batchSize ?? 500;
    this.#headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (options.tenant) this.#headers['ngsild-tenant'] = options.tenant;
    if (options.token) this.#headers['authorization'] = `Bearer ${options.token}`;
    if (options.context) {
      this.#headers['link'] =
        `<${options.context}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;
    }
  }

  /** Cancels requests in flight (they reject with NgsiLdWriteError). */
  abort(): void {
    this.#abort.abort();
  }

  /**
   * Creates or replaces (`mode` 'replace', the default) or merges into (`mode` 'update') entities:
   * `POST /entityOperations/upsert`, in batches.
   * @throws NgsiLdWriteError when the broker cannot be reached or refuses a whole batch
   */
  upsert(entities: Array<NgsiLdEntity | Record<string, unknown>>, mode: 'replace' | 'update' = 'replace') {
    return this.#sendBatches(
      `/entityOperations/upsert${mode === 'update' ? '?options=update' : ''}`,
      entities,
    );
  }

  /**
   * Updates attributes of existing entities: `POST /entityOperations/update` with entity fragments, in batches.
   * Entities the broker does not have come back in `errors`.
   * @throws NgsiLdWriteError when the broker cannot be reached or refuses a whole batch
   */
  update(fragments: Array<Record<string, unknown>>): Promise<BatchOutcome> {
    return this.#sendBatches('/entityOperations/update', fragments);
  }

  async #sendBatches(path: string, entities: Array<Record<string, unknown>>): Promise<BatchOutcome> {
    const outcome: BatchOutcome = { succeeded: 0, errors: [] };
    for (let start = 0; start < entities.length; start += this.#batchSize) {
      const batch = entities.slice(start, start + this.#batchSize);
      const result = await this.#post(path, batch);
      outcome.succeeded += result.succeeded;
      outcome.errors.push(...result.errors);
    }
    return outcome;
  }

  async #post(path: string, batch: Array<Record<string, unknown>>): Promise<BatchOutcome> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method: 'POST',
        headers: this.#headers,
        body: JSON.stringify(batch),
        signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#timeoutMs)]),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new NgsiLdWriteError(`POST ${this.url}${path} failed: ${reason}`);
    }
    const text = await response.text().catch(() => '');
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (response.status === 201 || response.status === 204 || response.status === 200) {
      return { succeeded: batch.length, errors: [] };
    }
    if (response.status === 207 && typeof body === 'object' && body !== null) {
      const result = body as { success?: unknown[]; errors?: Array<{ entityId?: string; error?: unknown }> };
      const types = new Map(batch.map((entity) => [String(entity['id']), String(entity['type'] ?? '')]));
      const errors = (result.errors ?? []).map((entry) => {
        const id = String(entry.entityId ?? '');
        const problem = (entry.error ?? {}) as Record<string, unknown>;
        const type = typeof problem['type'] === 'string' ? problem['type'].trim().split('/').pop()! : '';
        const detail = String(problem['detail'] ?? problem['title'] ?? '');
        return { id, type: type || types.get(id) || '', detail };
      });
      return {
        succeeded: Array.isArray(result.success) ? result.success.length : batch.length - errors.length,
        errors,
      };
    }
    throw new NgsiLdWriteError(
      `POST ${this.url}${path}: ${problemSummary(body, response.status)}`,
      response.status,
    );
  }
}
