// Search over the server's feature collections (names, addresses, ids through CQL2 filters) for the search box.
import { fetchJson } from './errors';
import type { PlazaCollection } from './collections';

/** One search hit. */
export interface SearchResult {
  /** The persistent id when the feature has one (e.g. a building id), else the feature id. */
  id: string;
  label: string;
  detail: string;
  /** [west, south, east, north] to fly to. */
  bbox: [number, number, number, number];
}

/** Text properties worth searching, in the order they label a hit. */
const SEARCHABLE = ['name', 'street', 'address', 'id', 'title'];

const queryablesCache = new Map<string, Promise<string[]>>();

/** The searchable text queryables of a collection (cached); none when it has no queryables resource. */
function searchableProperties(collection: PlazaCollection, headers: Record<string, string>): Promise<string[]> {
  let cached = queryablesCache.get(collection.source);
  if (!cached) {
    const url = new URL(collection.source);
    url.pathname = `${url.pathname.replace(/\/$/, '')}/queryables`;
    url.search = 'f=json';
    cached = fetchJson<{ properties?: Record<string, { type?: string }> }>(url.href, { headers, timeoutMs: 8000 })
      .then((body) =>
        SEARCHABLE.filter((name) => body.properties?.[name] && (body.properties[name].type ?? 'string') === 'string'),
      )
      .catch(() => []);
    queryablesCache.set(collection.source, cached);
  }
  return cached;
}

/** A CQL2-text string literal. */
function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** A LIKE pattern that matches `text` anywhere, with CQL2's wildcards in the text escaped. */
function containsPattern(text: string): string {
  return literal(`%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`);
}

/**
 * The CQL2-text filter for a search: any searchable property contains the text (case-insensitive); "Street 12"
 * also matches street plus house number when the collection has both.
 */
export function buildSearchFilter(text: string, properties: string[]): string | undefined {
  const query = text.trim();
  if (!query || properties.length === 0) return undefined;
  const clauses = properties.map((property) => `CASEI(${property}) LIKE CASEI(${containsPattern(query)})`);
  const address = /^(.*\S)\s+(\d+\s*[a-zA-Z]?)$/.exec(query);
  if (address && properties.includes('street')) {
    clauses.push(
      `(CASEI(street) LIKE CASEI(${containsPattern(address[1])}) AND CASEI(house_number) = CASEI(${literal(address[2].replace(/\s+/g, ''))}))`,
    );
  }
  return clauses.join(' OR ');
}

function boundsOf(geometry: { type: string; coordinates: unknown } | null): SearchResult['bbox'] | undefined {
  if (!geometry) return undefined;
  const bounds = [Infinity, Infinity, -Infinity, -Infinity] as [number, number, number, number];
  const visit = (value: unknown) => {
    if (Array.isArray(value) && typeof value[0] === 'number') {
      bounds[0] = Math.min(bounds[0], value[0]);
      bounds[1] = Math.min(bounds[1], value[1] as number);
      bounds[2] = Math.max(bounds[2], value[0]);
      bounds[3] = Math.max(bounds[3], value[1] as number);
    } else if (Array.isArray(value)) value.forEach(visit);
  };
  visit(geometry.coordinates);
  return Number.isFinite(bounds[0]) ? bounds : undefined;
}

/**
 * Searches one feature collection.
 * @throws ResponseError | NetworkError
 */
export async function searchCollection(
  collection: PlazaCollection,
  text: string,
  options: { credential?: string; signal?: AbortSignal; limit?: number } = {},
): Promise<SearchResult[]> {
  if (collection.kind !== 'features' || !collection.itemsUrl) return [];
  const headers: Record<string, string> = options.credential ? { authorization: `Bearer ${options.credential}` } : {};
  const filter = buildSearchFilter(text, await searchableProperties(collection, headers));
  if (!filter) return [];
  const url = new URL(collection.itemsUrl);
  url.searchParams.set('filter', filter);
  url.searchParams.set('filter-lang', 'cql2-text');
  url.searchParams.set('limit', String(options.limit ?? 8));
  url.searchParams.set('f', 'json');
  const body = await fetchJson<{
    features?: Array<{ id?: string | number; geometry: { type: string; coordinates: unknown } | null; properties?: Record<string, unknown> }>;
  }>(url.href, { signal: options.signal, headers: { ...headers, accept: 'application/geo+json' } });
  return (body.features ?? []).flatMap((feature) => {
    const bbox = boundsOf(feature.geometry);
    if (!bbox) return [];
    const properties = feature.properties ?? {};
    const address = [properties.street, properties.house_number].filter(Boolean).join(' ');
    const name = typeof properties.name === 'string' && properties.name ? properties.name : undefined;
    const id = String(properties.id ?? feature.id ?? '');
    return [{ id, label: name ?? (address || id), detail: [collection.title, name ? address : '', id].filter(Boolean).join(' · '), bbox }];
  });
}
