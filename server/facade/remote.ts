// A FeatureProvider over a remote OGC API Features collection, for the facade: only endpoints named in
// PLAZA_FACADE_REMOTES are ever contacted (no open proxy), through the NGSI-LD client's HTTP transport (time-outs,
// retried reads, HTML and broken JSON refused); bad answers are 502s.
import type {
  FeatureProvider,
  FeaturePage,
  FeatureQuery,
  PlazaFeature,
  ProviderDescription,
  QueryableProperty,
} from '../providers/provider';
import { ProviderError } from '../providers/provider';
import { HttpTransport, NgsiLdClientError, isNgsiLdError } from '../ngsi-ld/client';

/** Milliseconds a remote request may take. */
const REMOTE_TIMEOUT_MS = 10_000;

/** One transport per configured endpoint: requests can only go below it. */
const TRANSPORTS = new Map<string, HttpTransport>();

/**
 * Fetches JSON from below a remote endpoint (time-out, retries of these reads, HTML and broken JSON refused);
 * undefined for 404; ProviderError (unavailable) for anything else bad.
 */
export async function fetchRemoteJson(
  endpoint: string,
  path: string,
  query: Record<string, string> = {},
): Promise<unknown> {
  let transport = TRANSPORTS.get(endpoint);
  if (!transport) {
    transport = new HttpTransport({ baseUrl: endpoint, timeoutMs: REMOTE_TIMEOUT_MS });
    TRANSPORTS.set(endpoint, transport);
  }
  try {
    const { body } = await transport.request({
      path,
      query: { f: 'json', ...query },
      accept: 'application/geo+json, application/json',
    });
    if (body === undefined) throw new NgsiLdClientError('an empty answer', 'incompatible');
    return body;
  } catch (error) {
    if (isNgsiLdError(error, 'not-found')) return undefined;
    if (error instanceof NgsiLdClientError)
      throw new ProviderError(`remote OGC API ${endpoint}${path}: ${error.message}`, 'unavailable');
    throw error;
  }
}

/** The feature collections of a remote OGC API landing page: ids and titles. */
export async function listRemoteCollections(endpoint: string): Promise<string[]> {
  const body = (await fetchRemoteJson(endpoint, '/collections')) as { collections?: unknown } | undefined;
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

  get #path(): string {
    return `/collections/${encodeURIComponent(this.collectionId)}`;
  }

  async describe(): Promise<ProviderDescription> {
    const queryables = (await fetchRemoteJson(this.endpoint, `${this.#path}/queryables`)) as
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
    const parameters: Record<string, string> = { limit: String(query.limit), offset: String(query.offset) };
    // Several boxes (antimeridian) are not one OGC bbox: leave the pre-filter to the server then.
    if (query.bbox?.length === 1) parameters.bbox = query.bbox[0].join(',');
    const path = `${this.#path}/items`;
    const body = (await fetchRemoteJson(this.endpoint, path, parameters)) as
      { features?: unknown } | undefined;
    if (!body || !Array.isArray(body.features))
      throw new ProviderError(
        `remote OGC API ${this.endpoint}${path} did not answer with a FeatureCollection`,
        'unavailable',
      );
    // The remote server is not asked to filter (its CQL2 support is unknown) and the page stays unfiltered, so that
    // a short page still means the last one; the facade evaluates the whole query on every feature.
    return { features: body.features.filter(isFeature) };
  }

  async getFeature(id: string): Promise<PlazaFeature | undefined> {
    const body = await fetchRemoteJson(this.endpoint, `${this.#path}/items/${encodeURIComponent(id)}`);
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
