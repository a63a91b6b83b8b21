// The FeatureProvider contract every backend implements (GeoPackage, GeoJSON files, PostGIS, NGSI-LD), and the
// query model the OGC API handlers hand to it. Coordinates cross this boundary in CRS84 (longitude, latitude).
import type { Feature, Geometry } from 'geojson';

/** [west, south, east, north] in CRS84 degrees; never crosses the antimeridian (callers split such boxes). */
export type BoundingBox = [number, number, number, number];

/** A closed or half-open time interval in epoch milliseconds; an absent end is open. */
export interface TimeInterval {
  start?: number;
  end?: number;
}

/** A sort key: a queryable property name and a direction. */
export interface SortKey {
  property: string;
  direction: 'ascending' | 'descending';
}

/** A filter a provider can always evaluate in memory; `expression` is the parsed CQL2 AST for backends that push it down. */
export interface FeaturePredicate {
  /** Parsed CQL2 expression (CQL2-JSON shape) for SQL/NGSI-LD push-down. */
  expression: unknown;
  /** True when the feature matches. */
  evaluate(feature: PlazaFeature): boolean;
}

/** A GeoJSON feature with a string or integer id, geometry in CRS84. */
export type PlazaFeature = Feature<Geometry | null, Record<string, unknown>> & { id: string | number };

/** What the OGC layer asks of a provider. */
export interface FeatureQuery {
  /** Most features to return (1-10,000). */
  limit: number;
  /** Features to skip; ignored when `cursor` is set. */
  offset: number;
  /** An opaque cursor a previous page returned as `nextCursor`. */
  cursor?: string;
  /** Features whose geometry intersects any of these boxes (or that have no geometry). */
  bbox?: BoundingBox[];
  /** Features whose time intersects this interval (or that have no time). */
  datetime?: TimeInterval;
  sortBy?: SortKey[];
  filter?: FeaturePredicate;
}

/** One page of results. */
export interface FeaturePage {
  features: PlazaFeature[];
  /** Present only when exact. */
  numberMatched?: number;
  /** Present when a further page may exist. */
  nextCursor?: string;
}

/** A JSON-Schema-ish type of a queryable property. */
export interface QueryableProperty {
  type: 'string' | 'number' | 'integer' | 'boolean';
  format?: 'date' | 'date-time';
  title?: string;
}

/** What a provider knows about its data. */
export interface ProviderDescription {
  /** CRS84 extent of the data, when known. */
  bbox?: BoundingBox;
  /** Temporal extent as RFC 3339 strings, null for an open end. */
  interval?: [string | null, string | null];
  /** The EPSG code of the storage CRS (4326 means longitude/latitude as GeoPackage and GeoJSON store it). */
  storageEpsg: number;
  /** GeoJSON geometry type, or 'Geometry' when mixed/unknown. */
  geometryType: string;
  /** Property names and their types. */
  properties: Record<string, QueryableProperty>;
  /** Property holding the feature's instant (or the start of its interval). */
  temporalProperty?: string;
  /** Exact number of features when cheap to know. */
  count?: number;
}

/** A source of features for one collection. */
export interface FeatureProvider {
  /** Describes the data (cached by callers). */
  describe(): Promise<ProviderDescription>;
  /** Runs a query. @throws ProviderError on unusable cursors or backend failures */
  queryFeatures(query: FeatureQuery): Promise<FeaturePage>;
  /** One feature by id, or undefined. */
  getFeature(id: string): Promise<PlazaFeature | undefined>;
  close(): Promise<void>;
}

/** A provider failure. `kind` says whether the request (bad cursor: 400) or the backend (502/503) is at fault. */
export class ProviderError extends Error {
  override name = 'ProviderError';
  constructor(
    message: string,
    readonly kind: 'bad-request' | 'unavailable',
    /** The query parameter at fault, for bad requests (default `cursor`). */
    readonly parameter = 'cursor',
  ) {
    super(message);
  }
}

/** Encodes a cursor as base64url JSON. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * Decodes a cursor written by {@link encodeCursor}.
 * @throws ProviderError (bad-request) when it is not one
 */
export function decodeCursor<T>(cursor: string, check: (value: unknown) => value is T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ProviderError(`cursor '${cursor.slice(0, 40)}' is not one this server wrote`, 'bad-request');
  }
  if (!check(value))
    throw new ProviderError(`cursor '${cursor.slice(0, 40)}' is not one this server wrote`, 'bad-request');
  return value;
}
