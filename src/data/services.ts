// Reads services a user adds by URL (OGC API Features, WMS, WMTS) with @camptocamp/ogc-client, and turns their layers
// into collections the viewer can draw.
import { OgcApiEndpoint, WmsEndpoint, WmtsEndpoint } from '@camptocamp/ogc-client';
import type { PlazaCollection } from './collections';

export type ServiceKind = 'auto' | 'ogc-api' | 'wms' | 'wmts';

/** Why a URL could not be used as a service, for the person who typed it. */
export class ServiceError extends Error {
  override name = 'ServiceError';
}

const TIMEOUT_MS = 15_000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ServiceError(`${what} did not answer within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function readOgcApi(url: string): Promise<PlazaCollection[]> {
  const endpoint = new OgcApiEndpoint(url);
  const ids = await withTimeout(endpoint.featureCollections, 'the OGC API');
  return Promise.all(
    ids.map(async (id) => {
      const info = await withTimeout(endpoint.getCollectionInfo(id), `collection ${id}`);
      const itemsUrl = await endpoint.getCollectionItemsUrl(id, { asJson: true });
      // ogc-client gives the spatial extent as one [west, south, east, north] box.
      const extent = info.extent;
      return {
        id: `${new URL(url).host}:${id}`,
        title: info.title || id,
        description: info.description,
        kind: 'features' as const,
        itemsUrl,
        bbox: Array.isArray(extent) ? (extent as number[]) : undefined,
        storageCrs: (info as { storageCrs?: string }).storageCrs ?? info.crs?.[0],
        source: url,
      };
    }),
  );
}

async function readWms(url: string): Promise<PlazaCollection[]> {
  const endpoint = await withTimeout(new WmsEndpoint(url).isReady(), 'the WMS');
  const base = endpoint.getOperationUrl('GetMap') || url.split('?')[0];
  return endpoint
    .getFlattenedLayers()
    .filter((layer: { name?: string }) => layer.name)
    .map((layer: { name: string; title?: string; abstract?: string }) => ({
      id: `${new URL(url).host}:wms:${layer.name}`,
      title: layer.title || layer.name,
      description: layer.abstract,
      kind: 'wms' as const,
      wms: { url: base, layers: layer.name },
      storageCrs: 'EPSG:4326',
      source: url,
    }));
}

async function readWmts(url: string): Promise<PlazaCollection[]> {
  const endpoint = await withTimeout(new WmtsEndpoint(url).isReady(), 'the WMTS');
  return endpoint.getLayers().flatMap((layer) => {
    const link = layer.resourceLinks.find((candidate) => candidate.encoding === 'REST') ?? layer.resourceLinks[0];
    const matrixSet = layer.matrixSets.find((set) => /3857|GoogleMaps/i.test(set.identifier)) ?? layer.matrixSets[0];
    if (!link || !matrixSet) return [];
    return [
      {
        id: `${new URL(url).host}:wmts:${layer.name}`,
        title: layer.name,
        kind: 'wmts' as const,
        wmts: {
          url: link.url,
          layer: layer.name,
          style: layer.defaultStyle,
          tileMatrixSetID: matrixSet.identifier,
          format: link.format,
        },
        storageCrs: matrixSet.identifier,
        source: url,
      },
    ];
  });
}

/**
 * Looks at what a URL answers to decide which readers to try: JSON is an OGC API, XML a WMS or WMTS. Anything else
 * is not a service, which is said at once instead of letting every reader fail on it.
 * @throws ServiceError when the URL answers neither
 */
async function guessServiceKinds(url: string): Promise<Array<'ogc-api' | 'wms' | 'wmts'>> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json, application/xml;q=0.9, */*;q=0.1' }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    throw new ServiceError(`no answer from ${url}: ${reason(error)}`);
  }
  const type = response.headers.get('content-type') ?? '';
  const body = (await response.text().catch(() => '')).trimStart();
  if (type.includes('json') || body.startsWith('{')) {
    const json = (() => {
      try {
        return JSON.parse(body) as { links?: unknown };
      } catch {
        return undefined;
      }
    })();
    if (Array.isArray(json?.links)) return ['ogc-api'];
    throw new ServiceError(`no usable service at ${url}: it answers JSON, but not an OGC API landing page (no links)`);
  }
  if (type.includes('xml') || body.startsWith('<?xml') || body.startsWith('<')) {
    if (/<(?:\w+:)?WMS_Capabilities|<WMT_MS_Capabilities/.test(body)) return ['wms'];
    if (/<(?:\w+:)?Capabilities[\s>][\s\S]*wmts/i.test(body)) return ['wmts'];
    // A bare service URL answers an exception or HTML; the readers add the GetCapabilities request themselves.
    if (!/<html/i.test(body)) return ['wms', 'wmts'];
  }
  if (!response.ok) throw new ServiceError(`no usable service at ${url}: it answered ${response.status}`);
  if (/<html/i.test(body)) return [];
  return ['wms', 'wmts'];
}

/**
 * Discovers the drawable layers of a service.
 * @param kind - what the URL is; 'auto' tries OGC API, then WMS, then WMTS
 * @throws ServiceError saying why the URL is not a usable service
 */
export async function discoverService(url: string, kind: ServiceKind = 'auto'): Promise<PlazaCollection[]> {
  let parsed: URL;
  try {
    parsed = new URL(url, globalThis.location?.href);
  } catch {
    throw new ServiceError(`'${url}' is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ServiceError(`'${url}' is not an http(s) URL`);
  }
  const readers = { 'ogc-api': readOgcApi, wms: readWms, wmts: readWmts } as const;
  const order: Array<keyof typeof readers> = kind === 'auto' ? await guessServiceKinds(parsed.href) : [kind];
  const failures: string[] = [];
  for (const name of order) {
    try {
      const layers = await readers[name](parsed.href);
      if (layers.length > 0) return layers;
      failures.push(`${name}: no layers`);
    } catch (error) {
      failures.push(`${name}: ${reason(error)}`);
    }
  }
  throw new ServiceError(
    order.length === 0
      ? `no usable service at ${parsed.href}: it answers a web page, not an OGC API, WMS or WMTS`
      : `no usable service at ${parsed.href} (${failures.join('; ')})`,
  );
}
