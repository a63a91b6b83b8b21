// Writes entities to any NGSI-LD broker (batch upsert and batch update) through the shared NGSI-LD client, with the
// tenant, credentials and @context of the configuration. Knows nothing of sensors.
import { NgsiLdClient, NgsiLdClientError } from '../../ngsi-ld/client';
import type { NgsiLdBatchResult } from '../../ngsi-ld/client';
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
  /** An API key for a gateway in front of the broker, sent in `apiKeyHeader` (default `X-API-Key`). */
  apiKey?: string;
  apiKeyHeader?: string;
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

/** The broker's answer in one line: `HTTP status, problem type: detail` (what operators look up), else the client's. */
function describeFailure(error: NgsiLdClientError): string {
  const body = error.body as { detail?: unknown; title?: unknown } | undefined;
  const detail =
    typeof body?.detail === 'string' ? body.detail : typeof body?.title === 'string' ? body.title : '';
  if (error.status === undefined || (!error.problemType && !detail)) return error.message;
  return `${error.message.split(':')[0]}: ${error.status} ${error.problemType ?? ''}${detail ? `: ${detail}` : ''}`;
}

/** An NGSI-LD batch writer over the shared client (no retries of its own: the simulator backs off itself). */
export class NgsiLdWriter {
  readonly url: string;
  readonly #client: NgsiLdClient;
  readonly #batchSize: number;
  readonly #abort = new AbortController();

  constructor(options: NgsiLdWriterOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#batchSize = options.batchSize ?? 500;
    this.#client = new NgsiLdClient({
      url: this.url,
      tenant: options.tenant,
      token: options.token,
      apiKey: options.apiKey,
      apiKeyHeader: options.apiKeyHeader,
      context: options.context,
      timeoutMs: options.timeoutMs ?? 10_000,
      retries: 0,
    });
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
  upsert(
    entities: Array<NgsiLdEntity | Record<string, unknown>>,
    mode: 'replace' | 'update' = 'replace',
  ): Promise<BatchOutcome> {
    const list = entities as Array<Record<string, unknown>>;
    return this.#write(list, (signal) =>
      // 'replace' is the broker's default: no options parameter, as every spec version accepts.
      this.#client.batchUpsert(list, {
        chunkSize: this.#batchSize,
        mode: mode === 'update' ? 'update' : undefined,
        signal,
      }),
    );
  }

  /**
   * Updates attributes of existing entities: `POST /entityOperations/update` with entity fragments, in batches.
   * Entities the broker does not have come back in `errors`.
   * @throws NgsiLdWriteError when the broker cannot be reached or refuses a whole batch
   */
  update(fragments: Array<Record<string, unknown>>): Promise<BatchOutcome> {
    return this.#write(fragments, (signal) =>
      this.#client.batchUpdate(fragments, { chunkSize: this.#batchSize, signal }),
    );
  }

  async #write(
    entities: Array<Record<string, unknown>>,
    send: (signal: AbortSignal) => Promise<NgsiLdBatchResult>,
  ): Promise<BatchOutcome> {
    let result: NgsiLdBatchResult;
    try {
      result = await send(this.#abort.signal);
    } catch (error) {
      if (error instanceof NgsiLdClientError)
        throw new NgsiLdWriteError(describeFailure(error), error.status);
      throw new NgsiLdWriteError(`${this.url}: ${(error as Error).message}`);
    }
    const types = new Map(entities.map((entity) => [String(entity['id']), String(entity['type'] ?? '')]));
    return {
      succeeded: result.upserted,
      errors: result.errors.map((entry) => ({
        id: entry.entityId,
        type: entry.problemType ?? types.get(entry.entityId) ?? '',
        detail: entry.detail,
      })),
    };
  }
}
