// NGSI-LD entity types as feature collections, through any broker's HTTP API: `bbox` pushed down as
// georel=intersects, the broker's page limit respected with offset paging and count=true, GeoJSON (keyValues)
// converted to features; what the broker cannot answer exactly (exact bbox, datetime, CQL2, sort) is done here.
import type { FeatureCollection, Feature, Geometry } from 'geojson';
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
  /** GeoProperty that becomes the geometry (default `location`). */
  geometryProperty?: string;
  temporalProperty?: string;
  /** Largest `limit` the broker accepts (default 100: Stellio's maximum; Orion-LD and Scorpio allow 1000). */
  pageLimit?: number;
  /** Most entities one request may read from the broker (default 50,000). */
  maximumEntities?: number;
  /** Per-request timeout in milliseconds (default 10,000). */
  timeoutMs?: number;
}

interface Cursor {
  o: number;
}

const isCursor = (value: unknown): value is Cursor =>
  typeof value === 'object' &&
  value !== null &&
  Number.isInteger((value as Cursor).o) &&
  (value as Cursor).o >= 0;

/** One NGSI-LD entity type. */
export class NgsiLdProvider implements FeatureProvider {
  readonly #pageLimit: number;
  #description: ProviderDescription | undefined;
  #describedAt = 0;

  constructor(readonly options: NgsiLdProviderOptions) {
    this.#pageLimit = options.pageLimit ?? 100;
  }

  #headers(): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/geo+json' };
    if (this.options.context)
      headers.link = `<${this.options.context}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;
    if (this.options.tenant) headers['NGSILD-Tenant'] = this.options.tenant;
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    return headers;
  }

  async #get(path: string, parameters: Record<string, string>): Promise<Response> {
    const brokerUrl =
      typeof this.options.brokerUrl === 'function' ? this.options.brokerUrl() : this.options.brokerUrl;
    if (!brokerUrl) throw new ProviderError('the NGSI-LD broker is not reachable yet', 'unavailable');
    const url = `${brokerUrl}${path}?${new URLSearchParams(parameters).toString()}`;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: this.#headers(),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new ProviderError(
        `NGSI-LD broker ${this.options.brokerUrl} did not answer: ${(error as Error).message}`,
        'unavailable',
      );
    }
    return response;
  }

  #toFeature(feature: Feature): PlazaFeature {
    const properties: Record<string, unknown> = {
      ...((feature.properties ?? {}) as Record<string, unknown>),
    };
    delete properties.type;
    delete properties['@context'];
    delete properties[this.options.geometryProperty ?? 'location'];
    return {
      type: 'Feature',
      id: String(feature.id),
      geometry: (feature.geometry as Geometry | null) ?? null,
      properties,
    };
  }

  /** Every entity of the type matching the pushed-down bbox, across broker pages. */
  async #fetchAll(bbox: BoundingBox[] | undefined, q?: string): Promise<PlazaFeature[]> {
    const parameters: Record<string, string> = {
      type: this.options.entityType,
      options: 'keyValues',
      limit: String(this.#pageLimit),
      count: 'true',
    };
    if (this.options.geometryProperty) parameters.geometryProperty = this.options.geometryProperty;
    if (q) parameters.q = q;
    // One geo-query per request: a single box is pushed down; boxes split at the antimeridian are checked here.
    if (bbox?.length === 1) {
      const [west, south, east, north] = bbox[0];
      Object.assign(parameters, {
        georel: 'intersects',
        geometry: 'Polygon',
        coordinates: JSON.stringify([
          [
            [west, south],
            [east, south],
            [east, north],
            [west, north],
            [west, south],
          ],
        ]),
        geoproperty: this.options.geometryProperty ?? 'location',
      });
    }
    const features: PlazaFeature[] = [];
    const maximum = this.options.maximumEntities ?? 50_000;
    for (let offset = 0; ; offset += this.#pageLimit) {
      const response = await this.#get('/entities', { ...parameters, offset: String(offset) });
      if (!response.ok) {
        throw new ProviderError(
          `NGSI-LD broker answered ${response.status} to a query for ${this.options.entityType}: ${(await response.text()).slice(0, 300)}`,
          'unavailable',
        );
      }
      const body = (await response.json()) as FeatureCollection | Feature[];
      const page = Array.isArray(body) ? body : body.features;
      features.push(...page.map((feature) => this.#toFeature(feature)));
      const total = Number(response.headers.get('NGSILD-Results-Count') ?? NaN);
      if (features.length > maximum) {
        throw new ProviderError(
          `entity type ${this.options.entityType} has more than ${maximum} matching entities; narrow the query with bbox`,
          'unavailable',
        );
      }
      if (page.length < this.#pageLimit || (Number.isFinite(total) && offset + page.length >= total))
        return features;
    }
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
    const description = await this.describe();
    let matches = (
      await this.#fetchAll(query.bbox, query.filter ? toNgsiLdQuery(query.filter.expression) : undefined)
    ).filter((feature) => matchesQuery(feature, query, description.temporalProperty));
    if (query.sortBy?.length) matches = matches.sort(compareFeatures(query.sortBy));
    const offset = cursor?.o ?? query.offset;
    return {
      features: matches.slice(offset, offset + query.limit),
      numberMatched: matches.length,
      nextCursor:
        offset + query.limit < matches.length ? encodeCursor({ o: offset + query.limit }) : undefined,
    };
  }

  async getFeature(id: string): Promise<PlazaFeature | undefined> {
    const response = await this.#get(`/entities/${encodeURIComponent(id)}`, { options: 'keyValues' });
    if (response.status === 404 || response.status === 400) return undefined;
    if (!response.ok)
      throw new ProviderError(`NGSI-LD broker answered ${response.status} for entity ${id}`, 'unavailable');
    const feature = (await response.json()) as Feature;
    // Entity ids are unique across types: one of another type is not in this collection.
    const type = (feature.properties as Record<string, unknown> | null)?.type;
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
  options: Pick<NgsiLdProviderOptions, 'brokerUrl' | 'tenant' | 'context' | 'token'>,
): Promise<string[]> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.context)
    headers.link = `<${options.context}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;
  if (options.tenant) headers['NGSILD-Tenant'] = options.tenant;
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let response: Response;
  try {
    response = await fetch(`${options.brokerUrl}/types`, { headers, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new ProviderError(
      `NGSI-LD broker ${options.brokerUrl} did not answer: ${(error as Error).message}`,
      'unavailable',
    );
  }
  if (!response.ok)
    throw new ProviderError(`NGSI-LD broker answered ${response.status} to GET /types`, 'unavailable');
  const body = (await response.json()) as { typeList?: string[] } | { typeName: string }[];
  return Array.isArray(body) ? body.map((entry) => entry.typeName) : (body.typeList ?? []);
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
