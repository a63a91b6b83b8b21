// A FeatureProvider over a remote OGC API Features collection, for the facade: only endpoints named in
// PLAZA_FACADE_REMOTES are ever contacted (no open proxy); every request has a timeout; bad answers are 502s.
import type {
  FeatureProvider,
  FeaturePage,
  FeatureQuery,
  PlazaFeature,
  ProviderDescription,
  QueryableProperty,
} from '../providers/provider';
import { ProviderError } from '../providers/provider';

/** Milliseconds a remote request may take. */
const REMOTE_TIMEOUT_MS = 10_000;

/** Fetches JSON from a remote endpoint; undefined for 404; ProviderError (unavailable) for anything else bad. */
export async function fetchRemoteJson(url: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/geo+json, application/json' },
      signal: AbortSignal.timeout(REMOTE_TIMEOUT_MS),
    });
  } catch (error) {
    throw new ProviderError(
      `remote OGC API ${url} did not answer: ${(error as Error).message}`,
      'unavailable',
    );
  }
  if (response.status === 404) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new ProviderError(`remote OGC API ${url} answered ${response.status}`, 'unavailable');
  }
  try {
    return await response.json();
  } catch {
    throw new ProviderError(`remote OGC API ${url} answered with something that is not JSON`, 'unavailable');
  }
}

/** The feature collections of a remote OGC API landing page: ids and titles. */
export async function listRemoteCollections(endpoint: string): Promise<string[]> {
  const body = (await fetchRemoteJson(`${endpoint}/collections?f=json`)) as
    { collections?: unknown } | undefined;
  if (!body || !Array.isArray(body.collections))
    throw new ProviderError(`remote OGC API ${endpoint}/collections lists no collections`, 'unavailable');
  return body.collections
    .map((collection) => (collection as { id?: unknown; itemType?: unknown }) ?? {})
    .filter(
      (collection) => typeof collection.id === 'string' && (collection.itemType ?? 'feature') === 'feature',
    )
    .map((collection) => collection.id as string)
    .filter((id) => /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(id));
}

/** Reads one OGC API Features collection of a remote endpoint. */
export class RemoteOgcProvider implements FeatureProvider {
  constructor(
    readonly endpoint: string,
    readonly collectionId: string,
  ) {}

  get #base(): string {
    return `${this.endpoint}/collections/${encodeURIComponent(this.collectionId)}`;
  }

  async describe(): Promise<ProviderDescription> {
    const queryables = (await fetchRemoteJson(`${this.#base}/queryables?f=json`)) as
      { properties?: Record<string, { type?: unknown; format?: unknown }> } | undefined;
    const properties: Record<string, QueryableProperty> = {};
    for (const [name, schema] of Object.entries(queryables?.properties ?? {})) {
      if (['string', 'number', 'integer', 'boolean'].includes(schema.type as string))
        properties[name] = { type: schema.type as QueryableProperty['type'] };
      if (schema.format === 'date' || schema.format === 'date-time')
        properties[name] = { type: 'string', format: schema.format };
    }
    return { storageEpsg: 4326, geometryType: 'Geometry', properties };
  }

  async queryFeatures(query: FeatureQuery): Promise<FeaturePage> {
    const url = new URL(`${this.#base}/items`);
    url.searchParams.set('f', 'json');
    url.searchParams.set('limit', String(query.limit));
    url.searchParams.set('offset', String(query.offset));
    // Several boxes (antimeridian) are not one OGC bbox: leave the pre-filter to the server then.
    if (query.bbox?.length === 1) url.searchParams.set('bbox', query.bbox[0].join(','));
    const body = (await fetchRemoteJson(url.toString())) as { features?: unknown } | undefined;
    if (!body || !Array.isArray(body.features))
      throw new ProviderError(`remote OGC API ${url} did not answer with a FeatureCollection`, 'unavailable');
    // The remote server is not asked to filter (its CQL2 support is unknown) and the page stays unfiltered, so that
    // a short page still means the last one; the facade evaluates the whole query on every feature.
    return { features: body.features.filter(isFeature) };
  }

  async getFeature(id: string): Promise<PlazaFeature | undefined> {
    const body = await fetchRemoteJson(`${this.#base}/items/${encodeURIComponent(id)}?f=json`);
    return body === undefined ? undefined : isFeature(body) ? body : undefined;
  }

  async close(): Promise<void> {}
}

function isFeature(value: unknown): value is PlazaFeature {
  const feature = value as PlazaFeature | null;
  return (
    typeof feature === 'object' &&
    feature !== null &&
    feature.type === 'Feature' &&
    (typeof feature.id === 'string' || typeof feature.id === 'number')
  );
}
