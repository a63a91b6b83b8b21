// Coordinate transforms with proj4: the EPSG codes Plaza knows by heart, plus any a data source defines in WKT.
import proj4 from 'proj4';
import type { Position } from 'geojson';
import type { BoundingBox } from './provider';

const KNOWN_DEFINITIONS: Record<number, string> = {
  4258: '+proj=longlat +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +no_defs',
  4979: '+proj=longlat +datum=WGS84 +no_defs',
  28992:
    '+proj=sterea +lat_0=52.15616055555555 +lon_0=5.38763888888889 +k=0.9999079 +x_0=155000 +y_0=463000 +ellps=bessel +towgs84=565.417,50.3319,465.552,-0.398957,0.343988,-1.8774,4.0725 +units=m +no_defs',
  31467:
    '+proj=tmerc +lat_0=0 +lon_0=9 +k=1 +x_0=3500000 +y_0=0 +ellps=bessel +towgs84=598.1,73.7,418.2,0.202,0.045,-2.455,6.7 +units=m +no_defs',
  2056: '+proj=somerc +lat_0=46.95240555555556 +lon_0=7.439583333333333 +k_0=1 +x_0=2600000 +y_0=1200000 +ellps=bessel +towgs84=674.374,15.056,405.346,0,0,0,0 +units=m +no_defs',
};

/** Proj definition of an EPSG code Plaza knows without a data source's help, or undefined. */
export function knownDefinition(code: number): string | undefined {
  if (KNOWN_DEFINITIONS[code]) return KNOWN_DEFINITIONS[code];
  // WGS 84 / UTM north (326zz) and south (327zz); ETRS89 / UTM (258zz, zones 28-38).
  if (code >= 32601 && code <= 32660) return `+proj=utm +zone=${code - 32600} +datum=WGS84 +units=m +no_defs`;
  if (code >= 32701 && code <= 32760)
    return `+proj=utm +zone=${code - 32700} +south +datum=WGS84 +units=m +no_defs`;
  if (code >= 25828 && code <= 25838)
    return `+proj=utm +zone=${code - 25800} +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs`;
  return undefined;
}

/**
 * Makes sure proj4 knows `EPSG:<code>`, from Plaza's table or from a WKT the data source carries.
 * @returns whether the code is usable
 */
export function registerEpsg(code: number, wkt?: string): boolean {
  const name = `EPSG:${code}`;
  if (proj4.defs(name)) return true;
  const definition = knownDefinition(code);
  if (definition) {
    proj4.defs(name, definition);
    return true;
  }
  if (wkt && wkt !== 'undefined') {
    try {
      proj4.defs(name, wkt);
      proj4(name, 'EPSG:4326', [0, 0]);
      return true;
    } catch {
      return false;
    }
  }
  return false;
}

/** A position transform between two EPSG codes in x/y (longitude/latitude for geographic) order. */
export type PositionTransform = (position: Position) => Position;

/**
 * A transform from one EPSG code to another; identity when they are equal or both WGS 84 longitude/latitude.
 * @throws Error when either code is unknown
 */
export function createTransform(from: number, to: number): PositionTransform {
  const same = (code: number) => (code === 4326 || code === 4979 ? 4326 : code);
  if (same(from) === same(to)) return (position) => position;
  for (const code of [from, to])
    if (!registerEpsg(code)) throw new Error(`unknown coordinate reference system EPSG:${code}`);
  const converter = proj4(`EPSG:${from}`, `EPSG:${to}`);
  return (position) => {
    const [x, y] = converter.forward([position[0], position[1]]);
    return position.length > 2 ? [x, y, position[2]] : [x, y];
  };
}

/** The envelope of a box after transforming it, sampling each edge so that curved edges are covered. */
export function transformBox(box: BoundingBox, transform: PositionTransform, samples = 16): BoundingBox {
  const result: BoundingBox = [Infinity, Infinity, -Infinity, -Infinity];
  for (let index = 0; index <= samples; index++) {
    const t = index / samples;
    const x = box[0] + (box[2] - box[0]) * t;
    const y = box[1] + (box[3] - box[1]) * t;
    for (const position of [
      [x, box[1]],
      [x, box[3]],
      [box[0], y],
      [box[2], y],
    ]) {
      const [px, py] = transform(position);
      if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
      result[0] = Math.min(result[0], px);
      result[1] = Math.min(result[1], py);
      result[2] = Math.max(result[2], px);
      result[3] = Math.max(result[3], py);
    }
  }
  return result;
}
