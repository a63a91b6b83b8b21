// Coordinate reference systems: parse every srsName form found in city models, build a horizontal transform to WGS84.
// Heights are never shifted by a datum transformation: orthometric heights stay as they are, plus an explicit offset.
import proj4 from 'proj4';
import {
  ADV_HORIZONTAL,
  ADV_VERTICAL,
  COMPOUND_CODES,
  LATITUDE_FIRST_CODES,
  PROJ4_DEFINITIONS,
  VERTICAL_DATUM_NAMES,
} from './crs-definitions';

/** A resolved source CRS. */
export interface TilerCrs {
  /** How the summary names it, e.g. `EPSG:25832 + DHHN92`. */
  label: string;
  /** The horizontal EPSG code, where there is one. */
  horizontalCode?: number;
  /** Name of the vertical datum, where the srsName says it. */
  verticalName?: string;
  proj4Definition: string;
  /** True when coordinates come as latitude, longitude (EPSG axis order of geographic CRSs in URN/URL forms). */
  latitudeFirst: boolean;
  /** True for geographic (degree) CRSs. */
  geographic: boolean;
}

/** Why a CRS could not be resolved; the pipeline turns it into a DataError naming `--crs`. */
export class CrsResolutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CrsResolutionError';
  }
}

const EPSG_IN_URN = /crs:EPSG:[\d.]*:(\d+)/gi;

function crsFromCodes(
  horizontal: number,
  vertical: number | undefined,
  latitudeFirstAllowed: boolean,
  label: string,
): TilerCrs {
  let horizontalCode = horizontal;
  let verticalName =
    vertical === undefined ? undefined : (VERTICAL_DATUM_NAMES.get(vertical) ?? `EPSG:${vertical}`);
  const compound = COMPOUND_CODES.get(horizontal);
  if (compound) {
    horizontalCode = compound[0];
    verticalName ??= VERTICAL_DATUM_NAMES.get(compound[1]) ?? `EPSG:${compound[1]}`;
  }
  const definition = PROJ4_DEFINITIONS.get(horizontalCode);
  if (!definition)
    throw new CrsResolutionError(
      `EPSG:${horizontalCode} (from "${label}") is not among the bundled CRS definitions`,
    );
  const geographic = definition.startsWith('+proj=longlat');
  return {
    label: `EPSG:${horizontalCode}${verticalName ? ` + ${verticalName}` : ''}`,
    horizontalCode,
    verticalName,
    proj4Definition: definition,
    latitudeFirst: geographic && latitudeFirstAllowed && LATITUDE_FIRST_CODES.has(horizontalCode),
    geographic,
  };
}

/**
 * Resolves an srsName, CityJSON referenceSystem or `--crs` value: `EPSG:25832`, `25832`, `urn:ogc:def:crs:EPSG::28992`,
 * compound/versioned URNs, `http(s)://www.opengis.net/def/crs/EPSG/0/6697`, AdV URNs, or a proj4 string.
 * Short `EPSG:n` forms use longitude, latitude order; URN and URL forms use the EPSG axis order.
 * @throws CrsResolutionError when the CRS is unknown, local (engineering) or empty.
 */
export function resolveCrs(name: string): TilerCrs {
  const text = name.trim();
  if (text === '') throw new CrsResolutionError('the CRS name is empty');
  if (text.startsWith('+proj=') || text.startsWith('+init=')) {
    try {
      proj4(text, 'WGS84');
    } catch (error) {
      throw new CrsResolutionError(`the proj4 string "${text}" is invalid: ${(error as Error).message}`);
    }
    return {
      label: text,
      proj4Definition: text,
      latitudeFirst: false,
      geographic: text.includes('+proj=longlat'),
    };
  }
  if (text.startsWith('#'))
    throw new CrsResolutionError(`"${text}" is a local engineering CRS, not georeferenced`);
  const plain = /^(?:EPSG:)?(\d+)$/i.exec(text);
  if (plain) return crsFromCodes(Number(plain[1]), undefined, false, text);
  const url = /^https?:\/\/www\.opengis\.net\/def\/crs\/EPSG\/[^/]+\/(\d+)$/i.exec(text);
  if (url) return crsFromCodes(Number(url[1]), undefined, true, text);
  if (/^urn:(x-)?ogc:def:crs/i.test(text)) {
    const codes = [...text.matchAll(EPSG_IN_URN)].map((match) => Number(match[1]));
    if (codes.length > 0) return crsFromCodes(codes[0], codes[1], true, text);
  }
  const adv = /^urn:adv:crs:([^*]+)(?:\*([^*]+))?/i.exec(text);
  if (adv) {
    const horizontal = ADV_HORIZONTAL.get(adv[1]);
    if (horizontal === undefined)
      throw new CrsResolutionError(`the AdV CRS "${adv[1]}" in "${text}" is not known`);
    const crs = crsFromCodes(horizontal, undefined, false, text);
    const vertical = adv[2] ? (ADV_VERTICAL.get(adv[2]) ?? adv[2]) : undefined;
    return { ...crs, verticalName: vertical, label: `EPSG:${horizontal}${vertical ? ` + ${vertical}` : ''}` };
  }
  throw new CrsResolutionError(`the CRS "${text}" is not recognised`);
}

/** Converts source x, y to WGS84 longitude, latitude in degrees, horizontally only. */
export type HorizontalTransform = (x: number, y: number, out: Float64Array) => void;

/** Builds the horizontal transform of `crs` to WGS84 (degrees). */
export function createHorizontalTransform(crs: TilerCrs): HorizontalTransform {
  const converter = proj4(crs.proj4Definition, 'WGS84');
  const swap = crs.latitudeFirst;
  const identity = crs.geographic && /\+(datum=WGS84|towgs84=0,0,0,0,0,0,0)/.test(crs.proj4Definition);
  const point = [0, 0];
  return (x, y, out) => {
    const first = swap ? y : x;
    const second = swap ? x : y;
    if (identity) {
      out[0] = first;
      out[1] = second;
      return;
    }
    point[0] = first;
    point[1] = second;
    const result = converter.forward(point);
    out[0] = result[0];
    out[1] = result[1];
  };
}

const WGS84_A = 6378137;
const WGS84_E2 = 6.69437999014e-3;

/** Geodetic (degrees, metres above the ellipsoid) to ECEF, writing x, y, z at `offset` of `out`. */
export function geodeticToEcef(
  longitude: number,
  latitude: number,
  height: number,
  out: Float64Array,
  offset: number,
): void {
  const lambda = (longitude * Math.PI) / 180;
  const phi = (latitude * Math.PI) / 180;
  const sinPhi = Math.sin(phi);
  const cosPhi = Math.cos(phi);
  const n = WGS84_A / Math.sqrt(1 - WGS84_E2 * sinPhi * sinPhi);
  out[offset] = (n + height) * cosPhi * Math.cos(lambda);
  out[offset + 1] = (n + height) * cosPhi * Math.sin(lambda);
  out[offset + 2] = (n * (1 - WGS84_E2) + height) * sinPhi;
}

/** ECEF to geodetic [longitude°, latitude°, height m] (Bowring, iterated; millimetre accuracy near the surface). */
export function ecefToGeodetic(x: number, y: number, z: number): [number, number, number] {
  const p = Math.hypot(x, y);
  const longitude = Math.atan2(y, x);
  let latitude = Math.atan2(z, p * (1 - WGS84_E2));
  let height = 0;
  for (let iteration = 0; iteration < 6; iteration++) {
    const sinPhi = Math.sin(latitude);
    const n = WGS84_A / Math.sqrt(1 - WGS84_E2 * sinPhi * sinPhi);
    height = p / Math.cos(latitude) - n;
    latitude = Math.atan2(z, p * (1 - (WGS84_E2 * n) / (n + height)));
  }
  return [(longitude * 180) / Math.PI, (latitude * 180) / Math.PI, height];
}
