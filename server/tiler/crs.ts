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

/** The parts of a proj4 projection object (proj4's `Proj`, untyped in its typings) the direct inverse needs. */
interface ProjectionInternals {
  projName?: string;
  to_meter?: number;
  from_greenwich?: number;
  /** Centre of the projection, radians. */
  long0?: number;
  lat0?: number;
  datum?: { datum_type: number; a: number; es: number };
  inverse(point: { x: number; y: number; z?: number }): { x: number; y: number } | undefined | null;
}

/** proj4's PJD_WGS84: a datum that needs no shift to WGS84 (WGS84 itself, GRS80 with zero towgs84, …). */
const DATUM_WGS84 = 4;
/** proj4's tolerance on the eccentricity when it compares datums (GRS80 and WGS84 count as equal). */
const DATUM_ES_TOLERANCE = 5e-11;
const RADIANS_TO_DEGREES = 180 / Math.PI;
/** Where the fast path is compared with the full transform: degrees from the projection's centre. */
const CHECK_OFFSETS = [
  [0, 0],
  [0.37, 0.21],
  [-0.83, 0.64],
  [1.9, -1.3],
];

/**
 * Projected x, y → longitude, latitude through the projection's own inverse, skipping proj4's per-point pipeline
 * (argument checks, point objects, datum comparison) where the datum needs no shift to WGS84: the very operations
 * proj4's transform performs in that case, so the results are the same bits. Undefined where this does not apply
 * (geographic CRSs, datum shifts), or where the result differs from proj4's full transform at a few points around the
 * projection's centre (checked here, once).
 */
function directInverse(
  definition: string,
  converter: { forward(point: number[]): number[]; inverse(point: number[]): number[] },
): ((x: number, y: number, out: Float64Array) => boolean) | undefined {
  let source: ProjectionInternals;
  let target: ProjectionInternals;
  try {
    source = new proj4.Proj(definition) as unknown as ProjectionInternals;
    target = new proj4.Proj('WGS84') as unknown as ProjectionInternals;
  } catch {
    return undefined;
  }
  const from = source.datum;
  const to = target.datum;
  if (
    source.projName === 'longlat' ||
    typeof source.inverse !== 'function' ||
    from === undefined ||
    to === undefined ||
    from.datum_type !== DATUM_WGS84 ||
    to.datum_type !== DATUM_WGS84 ||
    from.a !== to.a ||
    !(Math.abs(from.es - to.es) <= DATUM_ES_TOLERANCE) ||
    target.from_greenwich
  )
    return undefined;
  const toMeter = source.to_meter || 1;
  const fromGreenwich = source.from_greenwich || 0;
  const inverse = (x: number, y: number, out: Float64Array): boolean => {
    // Non-finite input goes through proj4 itself, which rejects it in its own way.
    if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
    const point = source.inverse({ x: x * toMeter, y: y * toMeter, z: 0 });
    if (!point) {
      out[0] = NaN;
      out[1] = NaN;
      return true;
    }
    out[0] = (fromGreenwich ? point.x + fromGreenwich : point.x) * RADIANS_TO_DEGREES;
    out[1] = point.y * RADIANS_TO_DEGREES;
    return true;
  };
  // Verify against the full transform at points around the projection's centre: same bits, or no fast path.
  const out = new Float64Array(2);
  const centreLongitude = (source.long0 ?? 0) * RADIANS_TO_DEGREES;
  const centreLatitude = (source.lat0 ?? 0) * RADIANS_TO_DEGREES;
  let compared = 0;
  for (const [east, north] of CHECK_OFFSETS) {
    const projected = converter.inverse([centreLongitude + east, centreLatitude + north]);
    if (!Number.isFinite(projected[0]) || !Number.isFinite(projected[1])) continue;
    const expected = converter.forward(projected);
    if (!inverse(projected[0], projected[1], out)) return undefined;
    if (!Object.is(out[0], expected[0]) || !Object.is(out[1], expected[1])) return undefined;
    compared++;
  }
  return compared > 0 ? inverse : undefined;
}

/** Builds the horizontal transform of `crs` to WGS84 (degrees). */
export function createHorizontalTransform(crs: TilerCrs): HorizontalTransform {
  const converter = proj4(crs.proj4Definition, 'WGS84');
  const swap = crs.latitudeFirst;
  const identity = crs.geographic && /\+(datum=WGS84|towgs84=0,0,0,0,0,0,0)/.test(crs.proj4Definition);
  // Fast path for projected CRSs on a WGS84-compatible datum (ETRS89 UTM, …): see directInverse.
  const direct = identity ? undefined : directInverse(crs.proj4Definition, converter);
  const point = [0, 0];
  return (x, y, out) => {
    const first = swap ? y : x;
    const second = swap ? x : y;
    if (identity) {
      out[0] = first;
      out[1] = second;
      return;
    }
    if (direct !== undefined && direct(first, second, out)) return;
    point[0] = first;
    point[1] = second;
    const result = converter.forward(point);
    out[0] = result[0];
    out[1] = result[1];
  };
}

const WGS84_A = 6378137;
const WGS84_E2 = 6.69437999014e-3;

/** Values stored per point by {@link geodeticBasis}. */
export const GEODETIC_BASIS_SIZE = 5;

/**
 * What ECEF placement needs of a longitude and latitude (degrees), whatever the height: the prime vertical radius of
 * curvature n, sin φ, cos φ, cos λ and sin λ, written from `offset` of `out`. Points stacked above each other share
 * it, so it can be kept and reused for them (see {@link placeOnBasis}).
 */
export function geodeticBasis(longitude: number, latitude: number, out: Float64Array, offset: number): void {
  const lambda = (longitude * Math.PI) / 180;
  const phi = (latitude * Math.PI) / 180;
  const sinPhi = Math.sin(phi);
  out[offset] = WGS84_A / Math.sqrt(1 - WGS84_E2 * sinPhi * sinPhi);
  out[offset + 1] = sinPhi;
  out[offset + 2] = Math.cos(phi);
  out[offset + 3] = Math.cos(lambda);
  out[offset + 4] = Math.sin(lambda);
}

/** ECEF x, y, z of the point at `height` above the basis at `basisOffset` of `basis`, written at `offset` of `out`. */
export function placeOnBasis(
  basis: Float64Array,
  basisOffset: number,
  height: number,
  out: Float64Array,
  offset: number,
): void {
  const n = basis[basisOffset];
  const sinPhi = basis[basisOffset + 1];
  const cosPhi = basis[basisOffset + 2];
  out[offset] = (n + height) * cosPhi * basis[basisOffset + 3];
  out[offset + 1] = (n + height) * cosPhi * basis[basisOffset + 4];
  out[offset + 2] = (n * (1 - WGS84_E2) + height) * sinPhi;
}

const basisScratch = new Float64Array(GEODETIC_BASIS_SIZE);

/** Geodetic (degrees, metres above the ellipsoid) to ECEF, writing x, y, z at `offset` of `out`. */
export function geodeticToEcef(
  longitude: number,
  latitude: number,
  height: number,
  out: Float64Array,
  offset: number,
): void {
  geodeticBasis(longitude, latitude, basisScratch, 0);
  placeOnBasis(basisScratch, 0, height, out, offset);
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
