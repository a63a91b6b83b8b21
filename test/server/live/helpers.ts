// Test helpers for the live relay: Plaza instances on temporary folders, an SSE client that keeps the state a
// browser would, and broker writes over HTTP.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../server/config';
import { startPlaza, type RunningPlaza } from '../../../server/start';

/** A started Plaza and its data folder, removed on stop. */
export interface TestPlaza extends RunningPlaza {
  dataDirectory: string;
  stop(): Promise<void>;
}

/** Starts Plaza on 127.0.0.1 with an empty data folder (or the given one), simulator off. */
export async function startTestPlaza(
  environment: Record<string, string> = {},
  dataDirectory = mkdtempSync(join(tmpdir(), 'plaza-live-')),
): Promise<TestPlaza> {
  const config = parseConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDirectory,
    TILESETS_DIR: join(dataDirectory, 'tilesets'),
    APP_DIR: join(dataDirectory, 'app'),
    PLAZA_SIMULATOR: 'off',
    LOG_LEVEL: 'silent',
    ...environment,
  });
  const plaza = await startPlaza(config, { logger: false });
  return {
    ...plaza,
    dataDirectory,
    async stop() {
      await plaza.close();
    },
  };
}

/** Removes a test data folder. */
export function removeFolder(directory: string): void {
  rmSync(directory, { recursive: true, force: true });
}

/** A LiveEntity as the tests read it. */
export interface ReceivedEntity {
  id: string;
  type: string;
  location?: { type: string; coordinates: unknown };
  observedAt?: string;
  values: Record<string, unknown>;
  units: Record<string, string>;
  relationships: Record<string, string | string[]>;
}

/** One received SSE event. */
export interface ReceivedEvent {
  id?: string;
  event: string;
  data: unknown;
  at: number;
}

/** An EventSource-like client over node:http that keeps the entity state a viewer would. */
export class SseClient {
  readonly events: ReceivedEvent[] = [];
  readonly state = new Map<string, ReceivedEntity>();
  lastEventId: string | undefined;
  retry: number | undefined;
  status: { broker: string; detail: string; mode: string } | undefined;
  heartbeats = 0;
  #request: http.ClientRequest | undefined;
  #waiters: Array<() => void> = [];
  /** Called for each event as it arrives (benchmarks measure latency here). */
  onEvent?: (event: ReceivedEvent) => void;

  constructor(
    readonly url: string,
    readonly headers: Record<string, string> = {},
  ) {}

  /** Connects; resolves with the HTTP status and content type once the headers arrive. */
  connect(): Promise<{ status: number; contentType: string; body?: string }> {
    return new Promise((resolve, reject) => {
      const request = http.get(this.url, { headers: { accept: 'text/event-stream', ...this.headers } });
      this.#request = request;
      request.on('error', reject);
      request.on('response', (response) => {
        const contentType = String(response.headers['content-type'] ?? '');
        if (response.statusCode !== 200) {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType, body }));
          return;
        }
        response.setEncoding('utf8');
        let buffer = '';
        response.on('data', (chunk: string) => {
          buffer += chunk;
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            this.#handleBlock(buffer.slice(0, cut));
            buffer = buffer.slice(cut + 2);
          }
        });
        response.on('error', () => undefined);
        resolve({ status: 200, contentType });
      });
    });
  }

  #handleBlock(block: string): void {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.heartbeats++;
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
      else if (field === 'retry') this.retry = Number(value);
    }
    if (data.length === 0) return;
    const received: ReceivedEvent = { id, event, data: JSON.parse(data.join('\n')), at: Date.now() };
    if (id !== undefined) this.lastEventId = id;
    this.events.push(received);
    const payload = received.data as { entities?: ReceivedEntity[]; ids?: string[] };
    if (event === 'snapshot') {
      this.state.clear();
      for (const entity of payload.entities ?? []) this.state.set(entity.id, entity);
    } else if (event === 'update') {
      for (const entity of payload.entities ?? []) this.state.set(entity.id, entity);
    } else if (event === 'delete') {
      for (const entityId of payload.ids ?? []) this.state.delete(entityId);
    } else if (event === 'status') {
      this.status = received.data as SseClient['status'];
    }
    this.onEvent?.(received);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter();
  }

  /** Waits until `test` holds (checked after every event), or fails after `timeoutMs`. */
  async waitFor(test: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!test()) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out waiting for ${what}; last events: ${JSON.stringify(this.events.slice(-3))}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.#request?.destroy();
  }
}

/** An NGSI-LD request to a broker base URL (…/ngsi-ld/v1); throws on a non-2xx answer. */
export async function brokerRequest(
  brokerUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const response = await fetch(`${brokerUrl}${path}`, {
    method,
    headers:
      body === undefined
        ? { accept: 'application/json' }
        : { 'content-type': 'application/json', accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** A normalized sensor entity with a numeric `value`, a location and optionally a building relationship. */
export function sensorEntity(
  id: string,
  type: string,
  value: number,
  coordinates: [number, number],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    type,
    value: { type: 'Property', value, unitCode: 'CEL', observedAt: new Date().toISOString() },
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates } },
    ...extra,
  };
}

/** Upserts entities in one batch. */
export async function upsertEntities(brokerUrl: string, entities: unknown[]): Promise<void> {
  const result = (await brokerRequest(
    brokerUrl,
    'POST',
    '/entityOperations/upsert?options=update',
    entities,
  )) as { errors?: unknown[] } | undefined;
  if (result && !Array.isArray(result) && result.errors?.length)
    throw new Error(`upsert failed: ${JSON.stringify(result.errors)}`);
}

/** Every entity of the given types at the broker (normalized), by id. */
export async function brokerEntities(
  brokerUrl: string,
  types: string[],
): Promise<Map<string, Record<string, unknown>>> {
  const result = new Map<string, Record<string, unknown>>();
  for (let offset = 0; ; offset += 1000) {
    const page = (await brokerRequest(
      brokerUrl,
      'GET',
      `/entities?type=${types.join(',')}&limit=1000&offset=${offset}`,
    )) as Array<Record<string, unknown>>;
    for (const entity of page) result.set(entity.id as string, entity);
    if (page.length < 1000) return result;
  }
}
