// Geodesic distances on the WGS84 ellipsoid: Vincenty's inverse formula between positions, and the shortest distance
// between two geometries whose edges are straight lines in longitude/latitude (as the planar predicates see them).
import type { Geometry, Position } from 'geojson';
import { GeometryError } from './errors';
import { intersects } from './relate';

/** WGS84 semi-major axis (metres) and flattening. */
const WGS84_A = 6378137;
const WGS84_F = 1 / 298.257223563;
const WGS84_B = WGS84_A * (1 - WGS84_F);
/** IUGG mean Earth radius (metres), used only where Vincenty's iteration does not converge (nearly antipodal). */
export const MEAN_EARTH_RADIUS_METERS = 6371008.8;

const RADIANS = Math.PI / 180;

/** Great-circle distance on a sphere of the mean Earth radius (haversine formula). */
export function haversineMeters(a: Position, b: Position): number {
  const phi1 = a[1]! * RADIANS;
  const phi2 = b[1]! * RADIANS;
  const deltaPhi = phi2 - phi1;
  const deltaLambda = (b[0]! - a[0]!) * RADIANS;
  const h = Math.sin(deltaPhi / 2) ** 2 + Math.cos(phi1) * Math.cos(phi2) * Math.sin(deltaLambda / 2) ** 2;
  return 2 * MEAN_EARTH_RADIUS_METERS * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Geodesic distance in metres between two positions on the WGS84 ellipsoid (Vincenty 1975, inverse problem; about
 * 0.5 mm accuracy). Heights are ignored. Falls back to the haversine distance for nearly antipodal positions, where
 * the iteration does not converge.
 */
export function geodesicMeters(a: Position, b: Position): number {
  const lambdaDifference = (b[0]! - a[0]!) * RADIANS;
  if (a[1] === b[1] && lambdaDifference === 0) return 0;
  const u1 = Math.atan((1 - WGS84_F) * Math.tan(a[1]! * RADIANS));
  const u2 = Math.atan((1 - WGS84_F) * Math.tan(b[1]! * RADIANS));
  const sinU1 = Math.sin(u1);
  const cosU1 = Math.cos(u1);
  const sinU2 = Math.sin(u2);
  const cosU2 = Math.cos(u2);
  let lambda = lambdaDifference;
  for (let iteration = 0; iteration < 200; iteration++) {
    const sinLambda = Math.sin(lambda);
    const cosLambda = Math.cos(lambda);
    const sinSigma = Math.sqrt((cosU2 * sinLambda) ** 2 + (cosU1 * sinU2 - sinU1 * cosU2 * cosLambda) ** 2);
    if (sinSigma === 0) return 0;
    const cosSigma = sinU1 * sinU2 + cosU1 * cosU2 * cosLambda;
    const sigma = Math.atan2(sinSigma, cosSigma);
    const sinAlpha = (cosU1 * cosU2 * sinLambda) / sinSigma;
    const cosSquaredAlpha = 1 - sinAlpha * sinAlpha;
    // On the equator (cos²α = 0) the term vanishes.
    const cos2SigmaM = cosSquaredAlpha === 0 ? 0 : cosSigma - (2 * sinU1 * sinU2) / cosSquaredAlpha;
    const c = (WGS84_F / 16) * cosSquaredAlpha * (4 + WGS84_F * (4 - 3 * cosSquaredAlpha));
    const previous = lambda;
    lambda =
      lambdaDifference +
      (1 - c) *
        WGS84_F *
        sinAlpha *
        (sigma + c * sinSigma * (cos2SigmaM + c * cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM)));
    if (Math.abs(lambda - previous) < 1e-12) {
      const uSquared = (cosSquaredAlpha * (WGS84_A * WGS84_A - WGS84_B * WGS84_B)) / (WGS84_B * WGS84_B);
      const bigA = 1 + (uSquared / 16384) * (4096 + uSquared * (-768 + uSquared * (320 - 175 * uSquared)));
      const bigB = (uSquared / 1024) * (256 + uSquared * (-128 + uSquared * (74 - 47 * uSquared)));
      const deltaSigma =
        bigB *
        sinSigma *
        (cos2SigmaM +
          (bigB / 4) *
            (cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM) -
              (bigB / 6) * cos2SigmaM * (-3 + 4 * sinSigma * sinSigma) * (-3 + 4 * cos2SigmaM * cos2SigmaM)));
      return WGS84_B * bigA * (sigma - deltaSigma);
    }
  }
  return haversineMeters(a, b);
}

type Edge = [Position, Position];

function collectParts(geometry: Geometry, points: Position[], edges: Edge[]): void {
  const addPath = (path: Position[]): void => {
    for (let index = 0; index + 1 < path.length; index++) edges.push([path[index]!, path[index + 1]!]);
    if (path.length === 1) points.push(path[0]!);
  };
  switch (geometry.type) {
    case 'Point':
      points.push(geometry.coordinates);
      break;
    case 'MultiPoint':
      points.push(...geometry.coordinates);
      break;
    case 'LineString':
      addPath(geometry.coordinates);
      break;
    case 'MultiLineString':
    case 'Polygon':
      geometry.coordinates.forEach(addPath);
      break;
    case 'MultiPolygon':
      for (const polygon of geometry.coordinates) polygon.forEach(addPath);
      break;
    case 'GeometryCollection':
      for (const member of geometry.geometries) collectParts(member, points, edges);
      break;
  }
}

/** The position at parameter t of the straight longitude/latitude edge a→b. */
function interpolate([a, b]: Edge, t: number): Position {
  return [a[0]! + t * (b[0]! - a[0]!), a[1]! + t * (b[1]! - a[1]!)];
}

const GOLDEN = (Math.sqrt(5) - 1) / 2;

/**
 * Shortest geodesic distance from a position to a straight longitude/latitude edge. The closest parameter is found
 * on the sphere (cheap, unimodal around the start guess from a local equirectangular projection) and the distance
 * measured on the ellipsoid there.
 */
function distanceToEdge(point: Position, edge: Edge): number {
  const [a, b] = edge;
  const scale = Math.cos(point[1]! * RADIANS);
  const dx = (b[0]! - a[0]!) * scale;
  const dy = b[1]! - a[1]!;
  const length = dx * dx + dy * dy;
  if (length === 0) return geodesicMeters(point, a);
  const guess = Math.max(
    0,
    Math.min(1, ((point[0]! - a[0]!) * scale * dx + (point[1]! - a[1]!) * dy) / length),
  );
  // Golden-section search on a bracket around the guess, widened to the whole edge for long edges.
  const span = Math.sqrt(length) < 0.5 ? 0.25 : 1;
  let low = Math.max(0, guess - span);
  let high = Math.min(1, guess + span);
  const cost = (t: number): number => haversineMeters(point, interpolate(edge, t));
  let left = high - GOLDEN * (high - low);
  let right = low + GOLDEN * (high - low);
  let costLeft = cost(left);
  let costRight = cost(right);
  for (let iteration = 0; iteration < 60 && high - low > 1e-12; iteration++) {
    if (costLeft < costRight) {
      high = right;
      right = left;
      costRight = costLeft;
      left = high - GOLDEN * (high - low);
      costLeft = cost(left);
    } else {
      low = left;
      left = right;
      costLeft = costRight;
      right = low + GOLDEN * (high - low);
      costRight = cost(right);
    }
  }
  const best = (low + high) / 2;
  return Math.min(
    geodesicMeters(point, interpolate(edge, best)),
    geodesicMeters(point, a),
    geodesicMeters(point, b),
  );
}

/**
 * The shortest geodesic distance in metres between two geometries, on the WGS84 ellipsoid (Vincenty; haversine on
 * the mean radius only for nearly antipodal positions). Edges are the straight longitude/latitude lines the planar
 * predicates use; 0 when the geometries intersect (a point inside a polygon included). Heights are ignored.
 * @throws GeometryError when either geometry is empty
 */
export function distanceMeters(a: Geometry, b: Geometry): number {
  if (a.type === 'Point' && b.type === 'Point') return geodesicMeters(a.coordinates, b.coordinates);
  const pointsA: Position[] = [];
  const edgesA: Edge[] = [];
  const pointsB: Position[] = [];
  const edgesB: Edge[] = [];
  collectParts(a, pointsA, edgesA);
  collectParts(b, pointsB, edgesB);
  if (pointsA.length + edgesA.length === 0 || pointsB.length + edgesB.length === 0) {
    throw new GeometryError('distance: a geometry is empty');
  }
  if (intersects(a, b)) return 0;
  // Disjoint: the closest pair has a vertex of one of them at one end.
  const verticesA = [...pointsA, ...edgesA.flat()];
  const verticesB = [...pointsB, ...edgesB.flat()];
  let best = Infinity;
  for (const vertex of verticesA) {
    for (const other of pointsB) best = Math.min(best, geodesicMeters(vertex, other));
    for (const edge of edgesB) best = Math.min(best, distanceToEdge(vertex, edge));
  }
  for (const vertex of verticesB) {
    for (const edge of edgesA) best = Math.min(best, distanceToEdge(vertex, edge));
  }
  return best;
}
