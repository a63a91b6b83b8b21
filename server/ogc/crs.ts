// OGC API Features Part 2: the CRS URIs Plaza accepts for `crs` and `bbox-crs`, axis order, and output transforms.
import type { Geometry, Position } from 'geojson';
import { mapPositions } from '../providers/geometry';
import { createTransform, registerEpsg, transformBox, type PositionTransform } from '../providers/projection';
import type { BoundingBox } from '../providers/provider';

export const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
export const CRS84H = 'http://www.opengis.net/def/crs/OGC/0/CRS84h';
const EPSG_PREFIX = 'http://www.opengis.net/def/crs/EPSG/0/';

/** EPSG codes whose official axis order is latitude first. */
const LATITUDE_FIRST = new Set([4326, 4258, 4979, 4269]);

/** CRSs every collection offers besides its storage CRS. */
const OFFERED_EPSG = [4326, 3857, 25832, 25833, 28992, 2056, 32632];

/** A CRS Plaza can output or read a bbox in. */
export interface OgcCrs {
  uri: string;
  /** EPSG code of the transform (4326 for CRS84). */
  epsg: number;
  /** Whether coordinates are written latitude first. */
  latitudeFirst: boolean;
}

/** The URI for an EPSG code (CRS84 for longitude-first WGS 84). */
export function crsUri(epsg: number): string {
  return epsg === 4326 ? CRS84 : `${EPSG_PREFIX}${epsg}`;
}

/** The CRS list of a collection: CRS84 first, then EPSG:4326, the offered ones and the storage CRS. */
export function collectionCrsList(storageEpsg: number): string[] {
  const list = [CRS84, ...OFFERED_EPSG.map((code) => `${EPSG_PREFIX}${code}`)];
  if (storageEpsg !== 4326 && !OFFERED_EPSG.includes(storageEpsg)) list.push(`${EPSG_PREFIX}${storageEpsg}`);
  return list;
}

/** Parses a CRS URI (also `EPSG:nnnn` and the OGC short CURIE `[EPSG:nnnn]`), or undefined when not offered. */
export function parseCrs(value: string, offered: string[]): OgcCrs | undefined {
  let uri = value.trim();
  const curie = /^\[?EPSG:(\d+)\]?$/i.exec(uri);
  if (curie) uri = `${EPSG_PREFIX}${curie[1]}`;
  uri = uri.replace(/^https:/, 'http:');
  if (uri === CRS84 || uri === CRS84H) return { uri, epsg: 4326, latitudeFirst: false };
  if (!offered.includes(uri)) return undefined;
  const code = Number(uri.slice(EPSG_PREFIX.length));
  if (!Number.isInteger(code) || !registerEpsg(code)) return undefined;
  return { uri, epsg: code, latitudeFirst: LATITUDE_FIRST.has(code) };
}

/** A geometry transform from CRS84 to a CRS, in that CRS's axis order. */
export function createOutputTransform(crs: OgcCrs): ((geometry: Geometry) => Geometry) | undefined {
  if (crs.epsg === 4326 && !crs.latitudeFirst) return undefined;
  const transform = createTransform(4326, crs.epsg);
  const map: PositionTransform = crs.latitudeFirst
    ? (position: Position) => {
        const [x, y, ...rest] = transform(position);
        return [y, x, ...rest];
      }
    : transform;
  return (geometry) => mapPositions(geometry, map);
}

/** A box given in a CRS as CRS84 (its envelope); undefined when it is not finite there. */
export function boxToCrs84(box: BoundingBox, crs: OgcCrs): BoundingBox {
  if (crs.epsg === 4326) return crs.latitudeFirst ? [box[1], box[0], box[3], box[2]] : box;
  return transformBox(box, createTransform(crs.epsg, 4326));
}
