// Strict GeoJSON geometry validation (RFC 7946 §3.1) with messages that point at the offending member.
import type { Geometry, Position } from 'geojson';
import { GeometryError } from './errors';

const GEOMETRY_TYPES = new Set([
  'Point',
  'MultiPoint',
  'LineString',
  'MultiLineString',
  'Polygon',
  'MultiPolygon',
  'GeometryCollection',
]);

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  return typeof value === 'object' ? 'an object' : String(value);
}

function fail(path: string, message: string): never {
  throw new GeometryError(path === '' ? message : `${path}: ${message}`);
}

function checkPosition(value: unknown, path: string): Position {
  if (!Array.isArray(value)) fail(path, `expected a position [longitude, latitude], got ${describe(value)}`);
  if (value.length < 2 || value.length > 3) {
    fail(path, `a position has 2 or 3 numbers (longitude, latitude[, altitude]), got ${value.length}`);
  }
  for (let index = 0; index < value.length; index++) {
    const coordinate: unknown = value[index];
    if (typeof coordinate !== 'number' || !Number.isFinite(coordinate)) {
      fail(`${path}[${index}]`, `expected a finite number, got ${describe(coordinate)}`);
    }
  }
  const [longitude, latitude] = value as number[];
  if (longitude! < -180 || longitude! > 180) fail(path, `longitude ${longitude} is outside [-180, 180]`);
  if (latitude! < -90 || latitude! > 90) fail(path, `latitude ${latitude} is outside [-90, 90]`);
  return value as Position;
}

function checkArray(value: unknown, path: string, what: string): unknown[] {
  if (!Array.isArray(value)) fail(path, `expected an array of ${what}, got ${describe(value)}`);
  return value;
}

function checkLineString(value: unknown, path: string): Position[] {
  const positions = checkArray(value, path, 'positions').map((position, index) =>
    checkPosition(position, `${path}[${index}]`),
  );
  if (positions.length < 2) fail(path, `a line string needs at least 2 positions, got ${positions.length}`);
  return positions;
}

function samePosition(a: Position, b: Position): boolean {
  return a[0] === b[0] && a[1] === b[1] && (a[2] ?? 0) === (b[2] ?? 0);
}

/** Twice the signed area of a closed ring (shoelace formula). */
function ringArea(ring: Position[]): number {
  let sum = 0;
  for (let index = 0; index + 1 < ring.length; index++) {
    sum += ring[index]![0]! * ring[index + 1]![1]! - ring[index + 1]![0]! * ring[index]![1]!;
  }
  return sum;
}

function checkRing(value: unknown, path: string): Position[] {
  const positions = checkArray(value, path, 'positions').map((position, index) =>
    checkPosition(position, `${path}[${index}]`),
  );
  if (positions.length < 4) fail(path, `a linear ring needs at least 4 positions, got ${positions.length}`);
  if (!samePosition(positions[0]!, positions[positions.length - 1]!)) {
    fail(`${path}[${positions.length - 1}]`, 'ring is not closed (the last position must equal the first)');
  }
  if (ringArea(positions) === 0)
    fail(path, 'ring encloses no area (its positions are collinear or repeated)');
  return positions;
}

function checkPolygon(value: unknown, path: string): Position[][] {
  const rings = checkArray(value, path, 'linear rings').map((ring, index) =>
    checkRing(ring, `${path}[${index}]`),
  );
  if (rings.length === 0) fail(path, 'a polygon needs an exterior ring');
  return rings;
}

function checkBoundingBox(value: unknown, path: string): void {
  const numbers = checkArray(value, path, 'numbers');
  if (numbers.length !== 4 && numbers.length !== 6)
    fail(path, `a bbox has 4 or 6 numbers, got ${numbers.length}`);
  numbers.forEach((number, index) => {
    if (typeof number !== 'number' || !Number.isFinite(number)) {
      fail(`${path}[${index}]`, `expected a finite number, got ${describe(number)}`);
    }
  });
}

function checkGeometry(value: unknown, path: string): Geometry {
  const prefix = path === '' ? '' : `${path}.`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(path, `expected a GeoJSON geometry object, got ${describe(value)}`);
  }
  const object = value as Record<string, unknown>;
  const type = object['type'];
  if (type === undefined) fail(`${prefix}type`, 'missing');
  if (typeof type !== 'string' || !GEOMETRY_TYPES.has(type)) {
    fail(`${prefix}type`, `unknown ${describe(type)} (expected one of ${[...GEOMETRY_TYPES].join(', ')})`);
  }
  if (object['bbox'] !== undefined) checkBoundingBox(object['bbox'], `${prefix}bbox`);
  if (type === 'GeometryCollection') {
    if ('coordinates' in object) fail(`${prefix}coordinates`, 'not allowed in a GeometryCollection');
    if (object['geometries'] === undefined) fail(`${prefix}geometries`, 'missing');
    checkArray(object['geometries'], `${prefix}geometries`, 'geometries').forEach((member, index) =>
      checkGeometry(member, `${prefix}geometries[${index}]`),
    );
    return value as Geometry;
  }
  if ('geometries' in object) fail(`${prefix}geometries`, `not allowed in a ${type}`);
  const coordinates = object['coordinates'];
  const coordinatesPath = `${prefix}coordinates`;
  if (coordinates === undefined) fail(coordinatesPath, 'missing');
  switch (type) {
    case 'Point':
      checkPosition(coordinates, coordinatesPath);
      break;
    case 'MultiPoint':
      checkArray(coordinates, coordinatesPath, 'positions').forEach((position, index) =>
        checkPosition(position, `${coordinatesPath}[${index}]`),
      );
      break;
    case 'LineString':
      checkLineString(coordinates, coordinatesPath);
      break;
    case 'MultiLineString':
      checkArray(coordinates, coordinatesPath, 'line strings').forEach((line, index) =>
        checkLineString(line, `${coordinatesPath}[${index}]`),
      );
      break;
    case 'Polygon':
      checkPolygon(coordinates, coordinatesPath);
      break;
    case 'MultiPolygon':
      checkArray(coordinates, coordinatesPath, 'polygons').forEach((polygon, index) =>
        checkPolygon(polygon, `${coordinatesPath}[${index}]`),
      );
      break;
  }
  return value as Geometry;
}

/**
 * Checks that a value is a GeoJSON geometry as RFC 7946 defines it: a known `type`; positions of 2 or 3 finite
 * numbers with longitude in [-180, 180] and latitude in [-90, 90]; line strings of at least 2 positions; closed
 * linear rings of at least 4 positions that enclose an area; `geometries` (and no `coordinates`) exactly in a
 * GeometryCollection, nested ones included; a `bbox` of 4 or 6 numbers when present. Foreign members are allowed
 * (RFC 7946 §6.1); ring orientation is not enforced (parsers "SHOULD NOT reject" either winding, §3.1.6).
 * Empty Multi* and GeometryCollection arrays are accepted (empty geometries).
 * @returns the same value, typed
 * @throws GeometryError naming the offending member, e.g. `coordinates[0][3]: ring is not closed (…)`
 */
export function validateGeometry(value: unknown): Geometry {
  return checkGeometry(value, '');
}
