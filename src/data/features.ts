// Loads OGC API Features items for a view extent, following `next` links up to a feature budget.
import { fetchJson } from './errors';

export interface GeoJsonFeatureCollection {
  type: 'FeatureCollection';
  features: Array<{ type: 'Feature'; id?: string | number; geometry: unknown; properties: Record<string, unknown> | null }>;
  links?: Array<{ rel: string; href: string; type?: string }>;
  numberMatched?: number;
}

/** Options of {@link fetchFeaturesInView}. */
export interface FetchFeaturesOptions {
  /** [west, south, east, north] in CRS84; omitted = everything. */
  bbox?: [number, number, number, number];
  /** A CQL2-text filter. */
  filter?: string;
  /** Stop after this many features (default 5,000); `truncated` then says so. */
  maximumFeatures?: number;
  /** Page size (default 1,000). */
  pageSize?: number;
  signal?: AbortSignal;
  /** Bearer token for internal collections. */
  credential?: string;
}

/**
 * Fetches the features of a collection inside a view extent, page by page.
 * @throws ResponseError | NetworkError
 */
export async function fetchFeaturesInView(
  itemsUrl: string,
  options: FetchFeaturesOptions = {},
): Promise<{ collection: GeoJsonFeatureCollection; truncated: boolean }> {
  const { bbox, filter, maximumFeatures = 5000, pageSize = 1000, signal, credential } = options;
  const url = new URL(itemsUrl);
  url.searchParams.set('f', 'json');
  url.searchParams.set('limit', String(Math.min(pageSize, maximumFeatures)));
  if (bbox) url.searchParams.set('bbox', bbox.map((value) => value.toFixed(6)).join(','));
  if (filter) {
    url.searchParams.set('filter', filter);
    url.searchParams.set('filter-lang', 'cql2-text');
  }
  const features: GeoJsonFeatureCollection['features'] = [];
  let next: string | undefined = url.href;
  while (next && features.length < maximumFeatures) {
    const page: GeoJsonFeatureCollection = await fetchJson<GeoJsonFeatureCollection>(next, {
      signal,
      headers: { accept: 'application/geo+json', ...(credential ? { authorization: `Bearer ${credential}` } : {}) },
    });
    features.push(...page.features);
    next = page.links?.find((link) => link.rel === 'next')?.href;
  }
  return {
    collection: { type: 'FeatureCollection', features: features.slice(0, maximumFeatures) },
    truncated: next !== undefined || features.length > maximumFeatures,
  };
}
