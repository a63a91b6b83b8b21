// NGSI-LD entity types as feature collections, through any broker's HTTP API with the shared NGSI-LD client, or
// through the embedded broker's in-process reader when Plaza runs that broker itself (the same selection and
// rendering without a loopback request and a JSON round trip): a plain page (at most one bbox, no filter, datetime or
// sort) goes to the broker as it is (limit, offset, count=true, georel=intersects); anything else reads the type's
// matching entities and does the rest here.
import type { Geometry } from 'geojson';
import {
  NgsiLdClient,
  NgsiLdClientError,
  isNgsiLdError,
  type NgsiLdClientOptions,
  type NgsiLdEntityQuery,
  type NgsiLdFeature,
  type NgsiLdGeoJsonReader,
} from '../ngsi-ld/client';
import { InProcessReader, type EmbeddedBrokerServices } from '../ngsi-ld/broker/in-process';
import {
  ProviderError,
  decodeCursor,
  encodeCursor,
  type BoundingBox,
  type FeaturePage,
  type FeatureProvider,
  type FeatureQuery,
  type PlazaFeature,
  type ProviderDescription,
} from './provider';
import { boundingBoxOf } from './geometry';
import { inferProperties } from './in-memory';
import { compareFeatures, matchesQuery } from './query';

/** Options of {@link NgsiLdProvider}. */
export interface NgsiLdProviderOptions {
  /** Broker base URL ending in /ngsi-ld/v1, or a function giving it once known (the embedded broker's URL is known
   * only after Plaza listens). */
  brokerUrl: string | (() => string | undefined);
  /** Entity type (a term of `context`, or a full IRI). */
  entityType: string;
  tenant?: string;
  /** User @context URL sent in the Link header. */
  context?: string;
  /** Bearer token for the broker. */
  token?: string;
  /** API key for the broker, sent in `apiKeyHeader` (default `X-API-Key`). */
  apiKey?: string;
  apiKeyHeader?: string;
  /** GeoProperty that becomes the geometry (default `location`). */
  geometryProperty?: string;
  temporalProperty?: string;
  /** Largest `limit` to ask the broker for (default: the maximum discovery found, 1000 or Stellio's 100). */
  pageLimit?: number;
  /** Most entities one request may read from the broker (default 50,000). */
  maximumEntities?: number;
  /** Per-request timeout in milliseconds (default 10,000). */
  timeoutMs?: number;
  /**
   * The embedded broker's services when Plaza runs the broker this provider reads (available once it is registered):
   * reads then go to its store in process instead of over HTTP. Undefined, or a function answering undefined: HTTP.
   */
  inProcess?: () => EmbeddedBrokerServices | undefined;
}

interface Cursor {
  o: number;
}

const isCursor = (value: unknown): value is Cursor =>
  typeof value === 'object' &&
  value !== null &&
  Number.isInteger((value as Cursor).o) &&
  (value as Cursor).o >= 0;

type Connection = Pick<
  NgsiLdProviderOptions,
  'brokerUrl' | 'tenant' | 'context' | 'token' | 'apiKey' | 'apiKeyHeader' | 'timeoutMs' | 'inProcess'
>;

/** One client per connection, so that every collection of a broker shares its discovery. */
const CLIENTS = new Map<string, NgsiLdClient>();
/** One in-process reader per embedded broker, tenant and @context. */
const READERS = new WeakMap<EmbeddedBrokerServices, Map<string, InProcessReader>>();

function clientFor(connection: Connection): NgsiLdGeoJsonReader {
  const services = connection.inProcess?.();
  if (services) {
    let readers = READERS.get(services);
    if (!readers) READERS.set(services, (readers = new Map()));
    const key = JSON.stringify([connection.tenant, connection.context]);
    let reader = readers.get(key);
    if (!reader) {
      reader = new InProcessReader(services, { tenant: connection.tenant, context: connection.context });
      readers.set(key, reader);
    }
    return reader;
  }
  const url = typeof connection.brokerUrl === 'function' ? connection.brokerUrl() : connection.brokerUrl;
  if (!url) throw new ProviderError('the NGSI-LD broker is not reachable yet', 'unavailable');
  const options: NgsiLdClientOptions = {
    url,
    tenant: connection.tenant,
    context: connection.context,
    token: connection.token,
    apiKey: connection.apiKey,
    apiKeyHeader: connection.apiKeyHeader,
    timeoutMs: connection.timeoutMs ?? 10_000,
  };
  const key = JSON.stringify(options);
  let client = CLIENTS.get(key);
  if (!client) {
    client = new NgsiLdClient(options);
    CLIENTS.set(key, client);
  }
  return client;
}

/** A client failure as the provider's error (the OGC layer answers 502/503 for `unavailable`). */
function providerError(error: unknown, what: string): unknown {
  if (!(error instanceof NgsiLdClientError)) return error;
  return new ProviderError(`the NGSI-LD broker is ${error.state} (${what}): ${error.message}`, 'unavailable');
}

/** One NGSI-LD entity type. */
export class NgsiLdProvider implements FeatureProvider {
  #description: ProviderDescription | undefined;
  #describedAt = 0;

  constructor(readonly options: NgsiLdProviderOptions) {}

  #toFeature(feature: NgsiLdFeature): PlazaFeature {
    const geometryProperty = this.options.geometryProperty ?? 'location';
    // Copied rather than deleted from: objects that lose members become slow dictionaries for the serializer.
    const properties: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(feature.properties))
      if (name !== 'type' && name !== geometryProperty) properties[name] = value;
    return {
      type: 'Feature',
      id: feature.id,
      geometry: feature.geometry as Geometry | null,
      properties,
    };
  }

  #query(bbox: BoundingBox[] | undefined, q?: string): NgsiLdEntityQuery {
    const query: NgsiLdEntityQuery = {
      type: this.options.entityType,
      format: 'keyValues',
      q,
      geometryProperty: this.options.geometryProperty,
    };
    // One geo-query per request: a single box is pushed down; boxes split at the antimeridian are checked here.
    if (bbox?.length === 1) {
      const [west, south, east, north] = bbox[0];
      query.geo = {
        georel: 'intersects',
        geometry: 'Polygon',
        coordinates: [
          [
            [west, south],
            [east, south],
            [east, north],
            [west, north],
            [west, south],
          ],
        ],
        geoproperty: this.options.geometryProperty ?? 'location',
      };
    }
    return query;
  }

  /** Every entity of the type matching the pushed-down bbox, across broker pages. */
  async #fetchAll(bbox: BoundingBox[] | undefined, q?: string): Promise<PlazaFeature[]> {
    const maximum = this.options.maximumEntities ?? 50_000;
    try {
      const features = await clientFor(this.options).queryEntitiesGeoJson(this.#query(bbox, q), {
        pageSize: this.options.pageLimit,
        maxItems: maximum,
      });
      return features.map((feature) => this.#toFeature(feature));
    } catch (error) {
      if (isNgsiLdError(error, 'too-many-results') && error.status === undefined)
        throw new ProviderError(
          `entity type ${this.options.entityType} has more than ${maximum} matching entities; narrow the query with bbox`,
          'unavailable',
        );
      throw providerError(error, `querying ${this.options.entityType}`);
    }
  }

  /**
   * A page the broker can answer exactly by itself: limit and offset passed on (in pages within its maximum), the
   * total from NGSILD-Results-Count.
   */
  async #fetchPage(query: FeatureQuery, offset: number): Promise<FeaturePage> {
    const client = clientFor(this.options);
    const request = this.#query(query.bbox);
    const features: PlazaFeature[] = [];
    let total: number | undefined;
    try {
      const { maxLimit } = await client.discover();
      const pageSize = Math.min(this.options.pageLimit ?? maxLimit, maxLimit);
      while (features.length < query.limit) {
        const limit = Math.min(pageSize, query.limit - features.length);
        const page = await client.queryEntitiesGeoJsonPage(request, {
          limit,
          offset: offset + features.length,
          count: true,
        });
        total = page.count ?? total;
        for (const feature of page.items) features.push(this.#toFeature(feature));
        if (page.items.length < limit || (total !== undefined && offset + features.length >= total)) break;
      }
    } catch (error) {
      throw providerError(error, `querying ${this.options.entityType}`);
    }
    const more = total !== undefined ? offset + features.length < total : features.length === query.limit;
    return {
      features,
      numberMatched: total,
      nextCursor: more ? encodeCursor({ o: offset + features.length }) : undefined,
    };
  }

  async describe(): Promise<ProviderDescription> {
    // Entities come and go: the description (extent, count, properties) is re-read at most every 30 s.
    if (this.#description && Date.now() - this.#describedAt < 30_000) return this.#description;
    const features = await this.#fetchAll(undefined);
    const properties = inferProperties(features);
    let bbox: BoundingBox | undefined;
    for (const feature of features) {
      const box = boundingBoxOf(feature.geometry);
      if (box)
        bbox = bbox
          ? [
              Math.min(bbox[0], box[0]),
              Math.min(bbox[1], box[1]),
              Math.max(bbox[2], box[2]),
              Math.max(bbox[3], box[3]),
            ]
          : box;
    }
    const temporalProperty =
      this.options.temporalProperty ?? Object.entries(properties).find(([, type]) => type.format)?.[0];
    let interval: [string | null, string | null] | undefined;
    if (temporalProperty) {
      const times = features
        .map((feature) => Date.parse(String(feature.properties[temporalProperty])))
        .filter((time) => !Number.isNaN(time));
      if (times.length)
        interval = [new Date(Math.min(...times)).toISOString(), new Date(Math.max(...times)).toISOString()];
    }
    const types = new Set(features.map((feature) => feature.geometry?.type).filter(Boolean));
    this.#description = {
      bbox,
      interval,
      storageEpsg: 4326,
      geometryType: types.size === 1 ? [...types][0]! : 'Geometry',
      properties,
      temporalProperty,
      count: features.length,
    };
    this.#describedAt = Date.now();
    return this.#description;
  }

  async queryFeatures(query: FeatureQuery): Promise<FeaturePage> {
    const cursor = query.cursor ? decodeCursor(query.cursor, isCursor) : undefined;
    const offset = cursor?.o ?? query.offset;
    // The broker's intersects is the OGC bbox test and its order is stable: nothing is left to do here.
    if (!query.filter && !query.datetime && !query.sortBy?.length && (query.bbox?.length ?? 1) === 1)
      return this.#fetchPage(query, offset);
    const description = await this.describe();
    let matches = (
      await this.#fetchAll(query.bbox, query.filter ? toNgsiLdQuery(query.filter.expression) : undefined)
    ).filter((feature) => matchesQuery(feature, query, description.temporalProperty));
    if (query.sortBy?.length) matches = matches.sort(compareFeatures(query.sortBy));
    return {
      features: matches.slice(offset, offset + query.limit),
      numberMatched: matches.length,
      nextCursor:
        offset + query.limit < matches.length ? encodeCursor({ o: offset + query.limit }) : undefined,
    };
  }

  async getFeature(id: string): Promise<PlazaFeature | undefined> {
    let feature: NgsiLdFeature | undefined;
    try {
      feature = await clientFor(this.options).getEntityGeoJson(id, {
        format: 'keyValues',
        geometryProperty: this.options.geometryProperty,
      });
    } catch (error) {
      // An id that is not a URI is no entity of this collection.
      if (isNgsiLdError(error, 'bad-request')) return undefined;
      throw providerError(error, `reading entity ${id}`);
    }
    if (!feature) return undefined;
    // Entity ids are unique across types: one of another type is not in this collection.
    const type = feature.properties.type;
    if (type !== undefined && type !== this.options.entityType) return undefined;
    return this.#toFeature(feature);
  }

  /** Forgets the cached description (new entities change extent and count). */
  invalidate(): void {
    this.#description = undefined;
  }

  async close(): Promise<void> {}
}

/** The entity types a broker holds (GET /types). @throws ProviderError when it does not answer */
export async function listNgsiLdTypes(
  options: Pick<
    NgsiLdProviderOptions,
    'brokerUrl' | 'tenant' | 'context' | 'token' | 'apiKey' | 'apiKeyHeader' | 'inProcess'
  >,
): Promise<string[]> {
  try {
    return await clientFor(options).listTypes();
  } catch (error) {
    throw providerError(error, 'listing types');
  }
}

const Q_OPERATORS: Record<string, string> = {
  '=': '==',
  '<>': '!=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

/**
 * The part of a CQL2 filter the NGSI-LD `q` language expresses exactly: top-level AND terms comparing an attribute
 * with a string, number or boolean literal. The broker narrows with it; the whole filter is still evaluated here.
 * Returns undefined when no term qualifies.
 */
export function toNgsiLdQuery(expression: unknown): string | undefined {
  const operation = expression as { op?: string; args?: unknown[] };
  const terms =
    operation?.op?.toLowerCase() === 'and' && Array.isArray(operation.args) ? operation.args : [expression];
  const parts: string[] = [];
  for (const term of terms) {
    const { op, args } = (term ?? {}) as { op?: string; args?: unknown[] };
    const operator = op ? Q_OPERATORS[op] : undefined;
    if (!operator || !Array.isArray(args) || args.length !== 2) continue;
    const [left, right] = args as [{ property?: unknown }, unknown];
    const property = typeof left === 'object' && left !== null ? left.property : undefined;
    // Attribute names only: id, type and the geometry are not attributes, and q paths with dots mean sub-attributes.
    if (
      typeof property !== 'string' ||
      !/^[A-Za-z_][A-Za-z0-9_]*$/.test(property) ||
      ['id', 'type', 'geometry'].includes(property)
    )
      continue;
    let literal: string;
    if (typeof right === 'number' && Number.isFinite(right)) literal = String(right);
    else if (typeof right === 'boolean') literal = String(right);
    else if (typeof right === 'string' && !/["\\]/.test(right) && (operator === '==' || operator === '!='))
      literal = `"${right}"`;
    else continue;
    parts.push(`${property}${operator}${literal}`);
  }
  return parts.length ? parts.join(';') : undefined;
}
