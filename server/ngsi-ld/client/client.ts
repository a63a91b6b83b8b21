// Plaza's one NGSI-LD client: typed operations (entities, GeoJSON, types, batch upsert, subscriptions, temporal) over
// the transport, adapted to the broker that discovery found (page sizes within its limits, next links or offsets,
// "Too broad query", pick/omit, `format` vs `options`, whole-metre `near`, GeoJSON @context placements).
import { discoverCapabilities, MAX_PAGE, SAFE_PAGE, type NgsiLdCapabilities } from './discovery';
import { NgsiLdClientError, describeShape, isNgsiLdError, problemTypeOf } from './errors';
import { HttpTransport, parseLinkHeader, type HttpAnswer, type HttpTransportOptions } from './transport';

/** Where the broker is and how to talk to it. */
export interface NgsiLdClientOptions extends Omit<HttpTransportOptions, 'baseUrl' | 'bases'> {
  /** The NGSI-LD API root, ending before `/entities` (e.g. `http://host:1026/ngsi-ld/v1`). */
  url: string;
  /** A separate temporal service's API root (Orion-LD + Mintaka); default: the broker's own. */
  temporalUrl?: string;
  /** Most entities one paged query reads before it stops (default 50 000), bounding memory. */
  maxEntities?: number;
}

/** An NGSI-LD entity as the broker sends it (normalized, concise or keyValues). */
export type NgsiLdEntity = Record<string, unknown> & { id: string; type: string | string[] };

/** A GeoJSON Feature as the client returns it: @context removed wherever the broker put it, geometry never absent. */
export interface NgsiLdFeature {
  type: 'Feature';
  id: string;
  geometry: Record<string, unknown> | null;
  properties: Record<string, unknown>;
}

/** A representation of entities. */
export type NgsiLdFormat = 'normalized' | 'concise' | 'keyValues';

/** One geo-query (§4 of the notes); `coordinates` is the GeoJSON coordinates value. */
export interface NgsiLdGeoQuery {
  georel: string;
  geometry: string;
  coordinates: unknown;
  geoproperty?: string;
}

/** What to query. At least one filter is needed on brokers that refuse broad queries; the client adds the types then. */
export interface NgsiLdEntityQuery {
  type?: string | string[];
  id?: string[];
  idPattern?: string;
  q?: string;
  attrs?: string[];
  /** Projection including id/type; sent as `attrs` (without id/type) to brokers without `pick`. */
  pick?: string[];
  geo?: NgsiLdGeoQuery;
  format?: NgsiLdFormat;
  /** GeoJSON only: the GeoProperty that becomes `geometry`. */
  geometryProperty?: string;
  /** Further parameters, sent as given. */
  extra?: Record<string, string>;
}

/** Paging of one query page. */
export interface NgsiLdPageOptions {
  limit: number;
  offset?: number;
  /** Ask for the total (NGSILD-Results-Count). */
  count?: boolean;
  signal?: AbortSignal;
}

/** One page: its items, the total when asked for, and the broker's next link when it gave one. */
export interface NgsiLdPage<T> {
  items: T[];
  count?: number;
  next?: string;
}

/** Options of the paged "all" reads. */
export interface NgsiLdReadAllOptions {
  /** Largest page (default and cap: the broker's maximum). */
  pageSize?: number;
  /** Most items to read (default the client's `maxEntities`); more is a `too-many-results` error. */
  maxItems?: number;
  signal?: AbortSignal;
}

/** The outcome of a batch upsert. */
export interface NgsiLdBatchResult {
  /** Entities the broker accepted. */
  upserted: number;
  /** Requests sent. */
  batches: number;
  /** Entities the broker refused, with its reason (and the problem type's last segment, when it gave one). */
  errors: Array<{ entityId: string; detail: string; problemType?: string }>;
}

/** A temporal query (§9 of the notes). */
export interface NgsiLdTemporalQuery {
  timerel: 'before' | 'after' | 'between';
  timeAt: string;
  endTimeAt?: string;
  attrs?: string[];
  lastN?: number;
  /** `temporalValues`, `aggregatedValues` or the default normalized history. */
  format?: 'temporalValues' | 'aggregatedValues' | 'normalized';
  type?: string | string[];
  q?: string;
  extra?: Record<string, string>;
}

/** Entities per batch request the client allows (Scorpio's cap). */
export const MAX_BATCH = 1000;

/**
 * The GeoJSON reads Plaza's OGC provider needs: the client over HTTP, or the embedded broker's in-process reader
 * (server/ngsi-ld/broker/in-process.ts).
 */
export interface NgsiLdGeoJsonReader {
  /** The reader's limits; `maxLimit` is the largest page one request may ask for. */
  discover(): Promise<{ maxLimit: number }>;
  listTypes(): Promise<string[]>;
  getEntityGeoJson(
    id: string,
    options?: { format?: NgsiLdFormat; geometryProperty?: string },
  ): Promise<NgsiLdFeature | undefined>;
  queryEntitiesGeoJsonPage(
    query: NgsiLdEntityQuery,
    page: NgsiLdPageOptions,
  ): Promise<NgsiLdPage<NgsiLdFeature>>;
  queryEntitiesGeoJson(query: NgsiLdEntityQuery, options?: NgsiLdReadAllOptions): Promise<NgsiLdFeature[]>;
}

/** One NGSI-LD broker. Only the configured URL (and temporal URL) are ever contacted. */
export class NgsiLdClient implements NgsiLdGeoJsonReader {
  readonly url: string;
  readonly transport: HttpTransport;
  readonly #options: NgsiLdClientOptions;
  #capabilities: NgsiLdCapabilities | undefined;
  #discovering: Promise<NgsiLdCapabilities> | undefined;

  constructor(options: NgsiLdClientOptions) {
    this.#options = options;
    this.transport = new HttpTransport({
      ...options,
      baseUrl: options.url,
      bases: { temporal: options.temporalUrl },
    });
    this.url = this.transport.baseUrl;
  }

  /** What discovery found, once it ran. */
  get capabilities(): NgsiLdCapabilities | undefined {
    return this.#capabilities;
  }

  /**
   * Finds out what the broker is and can do; once, cached, shared by concurrent callers; `refresh` runs it again.
   * A failed discovery is not cached.
   * @throws NgsiLdClientError when the broker does not answer usably
   */
  async discover(refresh = false): Promise<NgsiLdCapabilities> {
    if (this.#capabilities && !refresh) return this.#capabilities;
    if (!this.#discovering) {
      const running = discoverCapabilities(this.transport, { temporalUrl: this.#options.temporalUrl });
      this.#discovering = running;
      running
        .then((capabilities) => {
          this.#capabilities = capabilities;
        })
        .catch(() => undefined)
        .finally(() => {
          if (this.#discovering === running) this.#discovering = undefined;
        });
    }
    return this.#discovering;
  }

  /**
   * The entity types the broker holds (`GET /types`), as compact names, sorted.
   * @throws NgsiLdClientError, `incompatible` when the answer is not an EntityTypeList
   */
  async listTypes(signal?: AbortSignal): Promise<string[]> {
    const { body } = await this.transport.request({ path: '/types', signal });
    // Some brokers answer the list itself, some the EntityTypeList object, some details objects.
    const list = Array.isArray(body) ? body : (body as { typeList?: unknown } | undefined)?.typeList;
    if (!Array.isArray(list))
      throw new NgsiLdClientError(
        `GET /types: expected an EntityTypeList, got ${describeShape(body)}`,
        'incompatible',
      );
    const types = list.map((item) =>
      typeof item === 'string' ? item : (item as { typeName?: unknown } | null)?.typeName,
    );
    if (!types.every((type): type is string => typeof type === 'string' && type !== ''))
      throw new NgsiLdClientError(
        'GET /types: typeList holds something other than type names',
        'incompatible',
      );
    return [...new Set(types)].sort();
  }

  /**
   * One entity, or undefined when the broker does not know it.
   * @throws NgsiLdClientError for any other failure
   */
  async getEntity(
    id: string,
    options: { format?: NgsiLdFormat; signal?: AbortSignal } = {},
  ): Promise<NgsiLdEntity | undefined> {
    const capabilities = options.format ? await this.discover() : undefined;
    const body = await this.#getOrUndefined(`/entities/${encodeURIComponent(id)}`, {
      query: capabilities && options.format ? formatParameters(capabilities, options.format) : undefined,
      signal: options.signal,
    });
    if (body === undefined) return undefined;
    if (!isNgsiLdEntity(body))
      throw new NgsiLdClientError(
        `GET /entities/{id}: expected an entity, got ${describeShape(body)}`,
        'incompatible',
      );
    return body;
  }

  /**
   * One entity as a GeoJSON Feature, or undefined when the broker does not know it.
   * @throws NgsiLdClientError for any other failure
   */
  async getEntityGeoJson(
    id: string,
    options: { format?: NgsiLdFormat; geometryProperty?: string; signal?: AbortSignal } = {},
  ): Promise<NgsiLdFeature | undefined> {
    const capabilities = await this.discover();
    const body = await this.#getOrUndefined(`/entities/${encodeURIComponent(id)}`, {
      query: {
        ...(options.format ? formatParameters(capabilities, options.format) : {}),
        geometryProperty: options.geometryProperty,
      },
      accept: 'application/geo+json',
      signal: options.signal,
    });
    if (body === undefined) return undefined;
    const feature = readFeature(body);
    if (!feature)
      throw new NgsiLdClientError(
        `GET /entities/{id}: expected a Feature, got ${describeShape(body)}`,
        'incompatible',
      );
    return feature;
  }

  async #getOrUndefined(
    path: string,
    request: { query?: Record<string, string | undefined>; accept?: string; signal?: AbortSignal },
  ): Promise<unknown> {
    try {
      return (await this.transport.request({ path, ...request })).body;
    } catch (error) {
      // Orion-LD answers 400 for an id that is not a URI; either way there is no such entity.
      if (isNgsiLdError(error, 'not-found')) return undefined;
      throw error;
    }
  }

  /**
   * One page of entities, within the broker's limits.
   * @throws NgsiLdClientError; `incompatible` when the page is not an array of entities
   */
  async queryEntitiesPage(
    query: NgsiLdEntityQuery,
    page: NgsiLdPageOptions,
  ): Promise<NgsiLdPage<NgsiLdEntity>> {
    const answer = await this.#queryPage(query, page, 'application/json');
    return { ...readEntityPage(answer), count: readCount(answer), next: readNext(answer) };
  }

  /**
   * One page of entities as GeoJSON Features (@context removed wherever the broker put it; absent geometry as null).
   * @throws NgsiLdClientError; `incompatible` when the answer is not a FeatureCollection
   */
  async queryEntitiesGeoJsonPage(
    query: NgsiLdEntityQuery,
    page: NgsiLdPageOptions,
  ): Promise<NgsiLdPage<NgsiLdFeature>> {
    const answer = await this.#queryPage(query, page, 'application/geo+json');
    return { items: readFeatureCollection(answer), count: readCount(answer), next: readNext(answer) };
  }

  /**
   * Every matching entity, page by page (next links where the broker gives them, else offsets), up to a cap. A query
   * without a filter on a broker that refuses broad queries is sent for all its types.
   * @throws NgsiLdClientError; `too-many-results` above the cap
   */
  async queryEntities(query: NgsiLdEntityQuery, options: NgsiLdReadAllOptions = {}): Promise<NgsiLdEntity[]> {
    return this.#readAll(query, options, (answer) => readEntityPage(answer).items, 'application/json');
  }

  /**
   * Every matching entity as a GeoJSON Feature, paged like {@link queryEntities}.
   * @throws NgsiLdClientError; `too-many-results` above the cap
   */
  async queryEntitiesGeoJson(
    query: NgsiLdEntityQuery,
    options: NgsiLdReadAllOptions = {},
  ): Promise<NgsiLdFeature[]> {
    return this.#readAll(query, options, readFeatureCollection, 'application/geo+json');
  }

  async #readAll<T>(
    query: NgsiLdEntityQuery,
    options: NgsiLdReadAllOptions,
    read: (answer: HttpAnswer) => T[],
    accept: string,
  ): Promise<T[]> {
    const capabilities = await this.discover();
    let effective = query;
    if (!hasFilter(query) && capabilities.needsFilter) {
      // "Too broad query": list the types and ask for all of them.
      const types = await this.listTypes(options.signal);
      if (types.length === 0) return [];
      effective = { ...query, type: types };
    }
    const maximum = options.maxItems ?? this.#options.maxEntities ?? 50_000;
    const items: T[] = [];
    let limit = Math.max(1, Math.min(options.pageSize ?? capabilities.maxLimit, capabilities.maxLimit));
    let offset = 0;
    let next: string | undefined;
    for (;;) {
      let answer: HttpAnswer;
      try {
        answer = next
          ? await this.transport.request({ path: next, accept, signal: options.signal })
          : await this.#queryPage(effective, { limit, offset, count: true, signal: options.signal }, accept);
      } catch (error) {
        // A broker whose maximum is lower than discovery saw (configuration changed): fall back to Stellio's 100.
        if (isNgsiLdError(error, 'too-many-results', 'bad-request') && limit > SAFE_PAGE && !next) {
          limit = SAFE_PAGE;
          continue;
        }
        throw error;
      }
      const page = read(answer);
      items.push(...page);
      if (items.length > maximum)
        throw new NgsiLdClientError(
          `the broker holds more than ${maximum} entities${describeSelection(effective)}; narrow the query`,
          'too-many-results',
        );
      const total = readCount(answer);
      offset += page.length;
      next = readNext(answer);
      if (page.length === 0 || (total !== undefined && offset >= total)) return items;
      if (next) continue;
      if (capabilities.nextLinkPaging && total === undefined) return items;
      if (page.length < limit) return items;
    }
  }

  async #queryPage(query: NgsiLdEntityQuery, page: NgsiLdPageOptions, accept: string): Promise<HttpAnswer> {
    const capabilities = await this.discover();
    if (page.limit > capabilities.maxLimit)
      throw new NgsiLdClientError(
        `a page of ${page.limit} is above this broker's maximum of ${capabilities.maxLimit}`,
        'too-many-results',
      );
    return this.transport.request({
      path: '/entities',
      query: {
        ...queryParameters(capabilities, query),
        ...(accept === 'application/geo+json' && query.geometryProperty
          ? { geometryProperty: query.geometryProperty }
          : {}),
        limit: page.limit,
        offset: page.offset || undefined,
        count: page.count ? 'true' : undefined,
      },
      accept,
      signal: page.signal,
    });
  }

  /**
   * Creates or updates entities in chunks within the broker's batch limit (`POST /entityOperations/upsert`).
   * Entities that carry their own `@context` are sent as `application/ld+json` without a Link header.
   * @throws NgsiLdClientError when the broker refuses a batch as a whole or does not answer; RangeError for a bad
   *   chunk size
   */
  async batchUpsert(
    entities: Array<Record<string, unknown>>,
    options: { chunkSize?: number; mode?: 'update' | 'replace'; signal?: AbortSignal } = {},
  ): Promise<NgsiLdBatchResult> {
    return this.#batch('/entityOperations/upsert', entities, {
      ...options,
      query: { options: options.mode },
    });
  }

  /**
   * Updates attributes of existing entities (`POST /entityOperations/update` with entity fragments) in chunks; entities
   * the broker does not hold come back in `errors`.
   * @throws NgsiLdClientError when a whole chunk is refused or the broker is unavailable
   */
  async batchUpdate(
    fragments: Array<Record<string, unknown>>,
    options: { chunkSize?: number; signal?: AbortSignal } = {},
  ): Promise<NgsiLdBatchResult> {
    return this.#batch('/entityOperations/update', fragments, options);
  }

  async #batch(
    path: string,
    entities: Array<Record<string, unknown>>,
    options: { chunkSize?: number; signal?: AbortSignal; query?: Record<string, string | undefined> },
  ): Promise<NgsiLdBatchResult> {
    const chunkSize = options.chunkSize ?? SAFE_PAGE;
    if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_BATCH)
      throw new RangeError(`batch size ${chunkSize} is not a whole number from 1 to ${MAX_BATCH}`);
    const result: NgsiLdBatchResult = { upserted: 0, batches: 0, errors: [] };
    for (let start = 0; start < entities.length; start += chunkSize) {
      const chunk = entities.slice(start, start + chunkSize);
      result.batches++;
      const { status, body } = await this.transport.request({
        method: 'POST',
        path,
        query: options.query,
        body: chunk,
        context: chunk.some((entity) => entity['@context'] !== undefined) ? 'body' : 'link',
        // Writing the same entities (or attributes) again leaves the same state, so a lost answer may be retried.
        idempotent: true,
        signal: options.signal,
      });
      if (status !== 207) {
        result.upserted += chunk.length;
        continue;
      }
      const failed = (body as { errors?: unknown } | undefined)?.errors;
      if (!Array.isArray(failed))
        throw new NgsiLdClientError(
          `POST ${path}: 207 without an errors list (${describeShape(body)})`,
          'incompatible',
          207,
        );
      for (const entry of failed as Array<{
        entityId?: unknown;
        error?: { type?: unknown; detail?: string; title?: string };
      }>) {
        const problemType = problemTypeOf(entry.error);
        result.errors.push({
          entityId: String(entry.entityId),
          detail: entry.error?.detail ?? entry.error?.title ?? 'refused',
          ...(problemType ? { problemType } : {}),
        });
      }
      result.upserted += chunk.length - failed.length;
    }
    return result;
  }

  /**
   * Creates a subscription (an id is chosen when it has none); returns its id. Not repeated after an answer was
   * lost, only when the broker was surely not reached.
   * @throws NgsiLdClientError when the broker refuses it
   */
  async subscribe(subscription: Record<string, unknown>, signal?: AbortSignal): Promise<string> {
    const id =
      typeof subscription.id === 'string'
        ? subscription.id
        : `urn:ngsi-ld:Subscription:${globalThis.crypto.randomUUID()}`;
    await this.transport.request({
      method: 'POST',
      path: '/subscriptions',
      body: { type: 'Subscription', ...subscription, id },
      signal,
    });
    return id;
  }

  /**
   * A subscription's current document, or undefined when the broker no longer has it.
   * @throws NgsiLdClientError for any other failure
   */
  async getSubscription(id: string, signal?: AbortSignal): Promise<Record<string, unknown> | undefined> {
    const body = await this.#getOrUndefined(`/subscriptions/${encodeURIComponent(id)}`, { signal });
    if (body === undefined) return undefined;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new NgsiLdClientError(
        `GET /subscriptions/{id}: expected a subscription, got ${describeShape(body)}`,
        'incompatible',
      );
    return body as Record<string, unknown>;
  }

  /** Changes members of a subscription (e.g. `expiresAt`, which is harmless to repeat). @throws NgsiLdClientError */
  async updateSubscription(id: string, patch: Record<string, unknown>, signal?: AbortSignal): Promise<void> {
    await this.transport.request({
      method: 'PATCH',
      path: `/subscriptions/${encodeURIComponent(id)}`,
      body: patch,
      idempotent: true,
      signal,
    });
  }

  /** Deletes a subscription; one that is already gone is fine. @throws NgsiLdClientError for other failures */
  async unsubscribe(id: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.transport.request({
        method: 'DELETE',
        path: `/subscriptions/${encodeURIComponent(id)}`,
        signal,
      });
    } catch (error) {
      if (isNgsiLdError(error, 'not-found')) return;
      throw error;
    }
  }

  /** The broker's subscriptions (first page of up to 1000). @throws NgsiLdClientError */
  async listSubscriptions(signal?: AbortSignal): Promise<Array<Record<string, unknown>>> {
    const limit = this.#capabilities?.maxLimit ?? MAX_PAGE;
    let body: unknown;
    try {
      ({ body } = await this.transport.request({ path: '/subscriptions', query: { limit }, signal }));
    } catch (error) {
      if (!isNgsiLdError(error, 'too-many-results', 'bad-request') || limit <= SAFE_PAGE) throw error;
      ({ body } = await this.transport.request({
        path: '/subscriptions',
        query: { limit: SAFE_PAGE },
        signal,
      }));
    }
    if (!Array.isArray(body))
      throw new NgsiLdClientError(
        `GET /subscriptions: expected an array, got ${describeShape(body)}`,
        'incompatible',
      );
    return body.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null);
  }

  /**
   * The history of entities (`GET /temporal/entities`), through the temporal service when one is configured.
   * @throws NgsiLdClientError; `not-implemented` for Orion-LD without a temporal URL
   */
  async queryTemporal(query: NgsiLdTemporalQuery, signal?: AbortSignal): Promise<NgsiLdEntity[]> {
    const body = await this.#temporal('/temporal/entities', query, signal);
    if (!Array.isArray(body) || !body.every(isNgsiLdEntity))
      throw new NgsiLdClientError(
        `GET /temporal/entities: expected an array of entities, got ${describeShape(body)}`,
        'incompatible',
      );
    return body;
  }

  /**
   * The history of one entity, or undefined when the temporal service does not know it.
   * @throws NgsiLdClientError; `not-implemented` for Orion-LD without a temporal URL
   */
  async getTemporalEntity(
    id: string,
    query: Omit<NgsiLdTemporalQuery, 'type' | 'q'>,
    signal?: AbortSignal,
  ): Promise<NgsiLdEntity | undefined> {
    let body: unknown;
    try {
      body = await this.#temporal(`/temporal/entities/${encodeURIComponent(id)}`, query, signal);
    } catch (error) {
      if (isNgsiLdError(error, 'not-found')) return undefined;
      throw error;
    }
    if (!isNgsiLdEntity(body))
      throw new NgsiLdClientError(
        `GET /temporal/entities/{id}: expected an entity, got ${describeShape(body)}`,
        'incompatible',
      );
    return body;
  }

  async #temporal(path: string, query: NgsiLdTemporalQuery, signal?: AbortSignal): Promise<unknown> {
    const capabilities = this.#options.temporalUrl ? undefined : await this.discover();
    if (capabilities && !capabilities.temporalUrl)
      throw new NgsiLdClientError(
        `${capabilities.broker} serves no temporal queries itself (Orion-LD keeps history in Mintaka); configure the temporal service URL`,
        'not-implemented',
      );
    const representation =
      query.format && query.format !== 'normalized'
        ? { [capabilities?.formatParameter ?? 'options']: query.format }
        : {};
    const { body } = await this.transport.request({
      path,
      base: this.#options.temporalUrl ? 'temporal' : 'default',
      query: {
        timerel: query.timerel,
        timeAt: query.timeAt,
        endTimeAt: query.endTimeAt,
        attrs: query.attrs?.join(','),
        lastN: query.lastN,
        type: Array.isArray(query.type) ? query.type.join(',') : query.type,
        q: query.q,
        ...representation,
        ...query.extra,
      },
      signal,
    });
    return body;
  }
}

/** Whether a value looks like an NGSI-LD entity (an object with a string id and a type). */
export function isNgsiLdEntity(value: unknown): value is NgsiLdEntity {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { id, type } = value as { id?: unknown; type?: unknown };
  return (
    typeof id === 'string' &&
    id !== '' &&
    (typeof type === 'string' || (Array.isArray(type) && type.every((item) => typeof item === 'string')))
  );
}

function hasFilter(query: NgsiLdEntityQuery): boolean {
  const type = Array.isArray(query.type) ? query.type.length > 0 : Boolean(query.type);
  return Boolean(type || query.id?.length || query.idPattern || query.q || query.attrs?.length || query.geo);
}

function describeSelection(query: NgsiLdEntityQuery): string {
  const types = Array.isArray(query.type) ? query.type.join(', ') : query.type;
  return types ? ` of types ${types}` : '';
}

/** The representation parameter in the broker's spec era: `format=…` (1.8+) or `options=…`. */
export function formatParameters(
  capabilities: NgsiLdCapabilities,
  format: NgsiLdFormat,
): Record<string, string> {
  if (format === 'normalized') return {};
  return { [capabilities.formatParameter]: format };
}

/** The URL parameters of a query, adapted to the broker. */
export function queryParameters(
  capabilities: NgsiLdCapabilities,
  query: NgsiLdEntityQuery,
): Record<string, string | undefined> {
  const parameters: Record<string, string | undefined> = {
    type: Array.isArray(query.type) ? query.type.join(',') : query.type,
    id: query.id?.join(','),
    idPattern: query.idPattern,
    q: query.q,
    attrs: query.attrs?.join(','),
    ...(query.format ? formatParameters(capabilities, query.format) : {}),
  };
  if (query.pick) {
    if (capabilities.supportsPickOmit) parameters.pick = query.pick.join(',');
    else {
      // Orion-LD 1.7 has no pick: attrs selects the same attributes, id and type come anyway.
      const attributes = query.pick.filter((name) => name !== 'id' && name !== 'type');
      parameters.attrs = [...(query.attrs ?? []), ...attributes].join(',') || undefined;
    }
  }
  if (query.geo) {
    parameters.georel = capabilities.wholeMetreNear
      ? query.geo.georel.replace(
          /(Distance==)(\d*\.?\d+)/g,
          (_match, prefix: string, metres: string) => `${prefix}${Math.round(Number(metres))}`,
        )
      : query.geo.georel;
    parameters.geometry = query.geo.geometry;
    parameters.coordinates = JSON.stringify(query.geo.coordinates);
    parameters.geoproperty = query.geo.geoproperty;
  }
  return { ...parameters, ...query.extra };
}

function readEntityPage(answer: HttpAnswer): { items: NgsiLdEntity[] } {
  const body = answer.body;
  if (!Array.isArray(body))
    throw new NgsiLdClientError(
      `GET /entities: expected an array of entities, got ${describeShape(body)}`,
      'incompatible',
    );
  for (const item of body)
    if (!isNgsiLdEntity(item))
      throw new NgsiLdClientError(
        `GET /entities: an element is not an entity with id and type (${describeShape(item)})`,
        'incompatible',
      );
  return { items: body as NgsiLdEntity[] };
}

/** A Feature with @context removed (on the Feature or in its properties) and a missing geometry as null. */
function readFeature(value: unknown): NgsiLdFeature | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const feature = value as Record<string, unknown>;
  if (feature.type !== 'Feature' || (typeof feature.id !== 'string' && typeof feature.id !== 'number'))
    return undefined;
  let properties = (feature.properties ?? {}) as Record<string, unknown>;
  if (properties['@context'] !== undefined) {
    const { '@context': _context, ...rest } = properties;
    properties = rest;
  }
  const geometry = feature.geometry;
  return {
    type: 'Feature',
    id: String(feature.id),
    geometry:
      typeof geometry === 'object' && geometry !== null ? (geometry as Record<string, unknown>) : null,
    properties,
  };
}

function readFeatureCollection(answer: HttpAnswer): NgsiLdFeature[] {
  const body = answer.body as { type?: unknown; features?: unknown } | unknown[] | undefined;
  // A broker that ignores the geo+json Accept answers an entity array; a FeatureCollection is what was asked for.
  const features = Array.isArray(body)
    ? body
    : body?.type === 'FeatureCollection' && Array.isArray(body.features)
      ? body.features
      : undefined;
  if (!features)
    throw new NgsiLdClientError(
      `GET /entities: expected a GeoJSON FeatureCollection, got ${describeShape(body)}`,
      'incompatible',
    );
  return features.map((item: unknown) => {
    const feature = readFeature(item);
    if (!feature)
      throw new NgsiLdClientError(
        `GET /entities: an element is not a Feature with an id (${describeShape(item)})`,
        'incompatible',
      );
    return feature;
  });
}

function readCount(answer: HttpAnswer): number | undefined {
  const header = answer.headers.get('NGSILD-Results-Count');
  const count = header === null ? Number.NaN : Number(header);
  return Number.isInteger(count) && count >= 0 ? count : undefined;
}

function readNext(answer: HttpAnswer): string | undefined {
  return parseLinkHeader(answer.headers.get('link')).get('next');
}
