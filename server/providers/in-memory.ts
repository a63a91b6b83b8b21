// An in-memory feature index (R-tree over envelopes, file order as the keyset) that answers FeatureQuery: the engine
// behind GeoJSON files and the server-side stage of providers that cannot push everything down.
import RBush from 'rbush';
import {
  ProviderError,
  decodeCursor,
  encodeCursor,
  type BoundingBox,
  type FeaturePage,
  type FeatureQuery,
  type PlazaFeature,
  type QueryableProperty,
} from './provider';
import { boundingBoxOf } from './geometry';
import { compareFeatures, matchesQuery, toEpochMilliseconds } from './query';

interface IndexEntry {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  position: number;
}

interface Cursor {
  /** Position (in store order) of the last feature returned, or offset reached in sorted order. */
  p?: number;
  o?: number;
}

function isCursor(value: unknown): value is Cursor {
  if (typeof value !== 'object' || value === null) return false;
  const cursor = value as Cursor;
  return (
    (typeof cursor.p === 'number' && Number.isInteger(cursor.p)) ||
    (typeof cursor.o === 'number' && Number.isInteger(cursor.o) && cursor.o >= 0)
  );
}

/** Guesses queryable types from the values features carry. */
export function inferProperties(features: PlazaFeature[]): Record<string, QueryableProperty> {
  const properties: Record<string, QueryableProperty> = {};
  for (const feature of features) {
    for (const [name, value] of Object.entries(feature.properties ?? {})) {
      if (value === null || value === undefined || properties[name]) continue;
      if (typeof value === 'boolean') properties[name] = { type: 'boolean' };
      else if (typeof value === 'number')
        properties[name] = { type: Number.isInteger(value) ? 'integer' : 'number' };
      else if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value))
        properties[name] = { type: 'string', format: 'date' };
      else if (
        typeof value === 'string' &&
        /^\d{4}-\d{2}-\d{2}T/.test(value) &&
        toEpochMilliseconds(value) !== undefined
      ) {
        properties[name] = { type: 'string', format: 'date-time' };
      } else if (typeof value === 'string') properties[name] = { type: 'string' };
    }
  }
  return properties;
}

/** Features held in memory with a spatial index. */
export class InMemoryFeatureStore {
  readonly features: PlazaFeature[];
  readonly #byId = new Map<string, PlazaFeature>();
  readonly #index = new RBush<IndexEntry>();
  readonly bbox: BoundingBox | undefined;

  constructor(
    features: PlazaFeature[],
    readonly temporalProperty?: string,
  ) {
    this.features = features;
    const entries: IndexEntry[] = [];
    let extent: BoundingBox | undefined;
    features.forEach((feature, position) => {
      this.#byId.set(String(feature.id), feature);
      const box = boundingBoxOf(feature.geometry);
      if (!box) return;
      entries.push({ minX: box[0], minY: box[1], maxX: box[2], maxY: box[3], position });
      extent = extent
        ? [
            Math.min(extent[0], box[0]),
            Math.min(extent[1], box[1]),
            Math.max(extent[2], box[2]),
            Math.max(extent[3], box[3]),
          ]
        : [...box];
    });
    this.#index.load(entries);
    this.bbox = extent;
  }

  /** One feature by its id. */
  get(id: string): PlazaFeature | undefined {
    return this.#byId.get(id);
  }

  /** Store positions that may match, in store order. */
  #candidates(query: FeatureQuery): number[] {
    if (!query.bbox) return this.features.map((_, position) => position);
    const positions = new Set<number>();
    for (const box of query.bbox) {
      for (const entry of this.#index.search({ minX: box[0], minY: box[1], maxX: box[2], maxY: box[3] }))
        positions.add(entry.position);
    }
    return [...positions].sort((a, b) => a - b);
  }

  /**
   * Answers a query with exact numberMatched.
   * @throws ProviderError on a cursor of another query kind
   */
  query(query: FeatureQuery): FeaturePage {
    const cursor = query.cursor ? decodeCursor(query.cursor, isCursor) : undefined;
    const sorted = (query.sortBy?.length ?? 0) > 0;
    if (sorted === (cursor?.p !== undefined) && cursor)
      throw new ProviderError('cursor belongs to another kind of query', 'bad-request');
    const plain = !query.bbox && !query.datetime && !query.filter;
    const matches = this.#candidates(query).filter(
      (position) => plain || matchesQuery(this.features[position], query, this.temporalProperty),
    );
    if (sorted) {
      const compare = compareFeatures(query.sortBy ?? []);
      matches.sort((a, b) => compare(this.features[a], this.features[b]));
      const offset = cursor?.o ?? query.offset;
      const page = matches.slice(offset, offset + query.limit);
      return {
        features: page.map((position) => this.features[position]),
        numberMatched: matches.length,
        nextCursor:
          offset + query.limit < matches.length ? encodeCursor({ o: offset + query.limit }) : undefined,
      };
    }
    let start = query.offset;
    if (cursor?.p !== undefined) {
      const after = cursor.p;
      start = matches.findIndex((position) => position > after);
      if (start === -1) start = matches.length;
    }
    const page = matches.slice(start, start + query.limit);
    return {
      features: page.map((position) => this.features[position]),
      numberMatched: matches.length,
      nextCursor:
        start + query.limit < matches.length ? encodeCursor({ p: page[page.length - 1] }) : undefined,
    };
  }
}
