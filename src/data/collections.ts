// Reads the Plaza server's OGC API collections and sorts them into what the viewer can draw.
import { fetchJson } from './errors';

/** The link relation of OGC API 3D GeoVolumes that points at a 3D Tiles tileset. */
export const GEOVOLUMES_RELATION = 'http://www.opengis.net/def/rel/ogc/1.0/3d-geovolumes';

interface OgcLink {
  href: string;
  rel: string;
  type?: string;
  title?: string;
}

interface OgcCollectionDocument {
  id: string;
  title?: string;
  description?: string;
  links?: OgcLink[];
  extent?: { spatial?: { bbox?: number[][]; crs?: string } };
  crs?: string[];
  storageCrs?: string;
  itemType?: string;
  /** Plaza's own hints for the viewer (colour, extrusion attribute, ...). */
  'plaza:style'?: CollectionStyle;
}

/** Style hints a collection carries for the viewer. */
export interface CollectionStyle {
  fillColor?: string;
  strokeColor?: string;
  strokeWidth?: number;
  /** Property holding a height in metres to extrude polygons by. */
  extrudeProperty?: string;
  pointSize?: number;
}

/** A server collection as the viewer sees it. */
export interface PlazaCollection {
  id: string;
  title: string;
  description?: string;
  kind: 'tileset' | 'features' | 'wms' | 'wmts';
  /** The tileset.json URL, for 3D Tiles collections. */
  tilesetUrl?: string;
  /** The items URL, for feature collections. */
  itemsUrl?: string;
  /** GetMap URL and layer names, for WMS layers. */
  wms?: { url: string; layers: string };
  /** Tile URL template and matrix set, for WMTS layers. */
  wmts?: { url: string; layer: string; style: string; tileMatrixSetID: string; format: string };
  /** [west, south, east, north] or with heights, in CRS84. */
  bbox?: number[];
  /** The CRS the data is stored in, as the server declares it. */
  storageCrs?: string;
  /** Where the data comes from: the collection's URL. */
  source: string;
  style?: CollectionStyle;
}

function absolute(href: string, base: string): string {
  return new URL(href, base).href;
}

/** Sorts one OGC API collection document into a viewer collection, or undefined when the viewer cannot draw it. */
export function classifyCollection(document: OgcCollectionDocument, baseUrl: string): PlazaCollection | undefined {
  const links = document.links ?? [];
  const self = links.find((link) => link.rel === 'self')?.href ?? `collections/${encodeURIComponent(document.id)}`;
  const common = {
    id: document.id,
    title: document.title ?? document.id,
    description: document.description,
    bbox: document.extent?.spatial?.bbox?.[0],
    storageCrs: document.storageCrs ?? document.extent?.spatial?.crs,
    source: absolute(self, baseUrl),
    style: document['plaza:style'],
  };
  const tileset = links.find(
    (link) => link.rel === GEOVOLUMES_RELATION || (link.type?.includes('3dtiles') ?? false),
  );
  if (tileset) return { ...common, kind: 'tileset', tilesetUrl: absolute(tileset.href, baseUrl) };
  const items = links.find((link) => link.rel === 'items' && (!link.type || link.type.includes('geo+json')));
  if (items) return { ...common, kind: 'features', itemsUrl: absolute(items.href, baseUrl) };
  return undefined;
}

/**
 * Fetches the server's collections.
 * @throws ResponseError | NetworkError
 */
export async function fetchCollections(
  serverUrl: string,
  options: { credential?: string; signal?: AbortSignal } = {},
): Promise<PlazaCollection[]> {
  const base = new URL(serverUrl || '/', globalThis.location?.href ?? 'http://localhost/').href;
  const url = new URL('collections?f=json', base).href;
  const body = await fetchJson<{ collections?: OgcCollectionDocument[] }>(url, {
    signal: options.signal,
    headers: options.credential ? { authorization: `Bearer ${options.credential}` } : {},
  });
  return (body.collections ?? [])
    .map((document) => classifyCollection(document, url))
    .filter((collection): collection is PlazaCollection => collection !== undefined);
}
