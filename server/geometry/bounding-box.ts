// Bounding boxes of GeoJSON geometries (planar, in the geometry's own longitude/latitude).
import type { Geometry, Position } from 'geojson';
import { GeometryError } from './errors';

/** [west, south, east, north] (minimum x, minimum y, maximum x, maximum y). */
export type BoundingBox = [number, number, number, number];

function visitPositions(geometry: Geometry, visit: (position: Position) => void): void {
  switch (geometry.type) {
    case 'Point':
      visit(geometry.coordinates);
      break;
    case 'MultiPoint':
    case 'LineString':
      geometry.coordinates.forEach(visit);
      break;
    case 'MultiLineString':
    case 'Polygon':
      for (const part of geometry.coordinates) part.forEach(visit);
      break;
    case 'MultiPolygon':
      for (const polygon of geometry.coordinates) for (const ring of polygon) ring.forEach(visit);
      break;
    case 'GeometryCollection':
      for (const member of geometry.geometries) visitPositions(member, visit);
      break;
  }
}

/**
 * The smallest axis-aligned box that holds every position of a geometry. No antimeridian handling: a geometry that
 * crosses it spans nearly the whole longitude range, as the planar predicates see it.
 * @throws GeometryError when the geometry is empty (it has no box)
 */
export function boundingBox(geometry: Geometry): BoundingBox {
  let west = Infinity;
  let south = Infinity;
  let east = -Infinity;
  let north = -Infinity;
  visitPositions(geometry, (position) => {
    const x = position[0]!;
    const y = position[1]!;
    if (x < west) west = x;
    if (x > east) east = x;
    if (y < south) south = y;
    if (y > north) north = y;
  });
  if (west === Infinity) throw new GeometryError(`an empty ${geometry.type} has no bounding box`);
  return [west, south, east, north];
}

/** Whether two boxes share at least one point (touching edges count). */
export function boundingBoxesIntersect(a: BoundingBox, b: BoundingBox): boolean {
  return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}

/**
 * The polygon of a box, counter-clockwise from the south-west corner (CQL2 `BBOX(…)`, OGC `bbox=`). A box whose west
 * is greater than its east crosses the antimeridian and becomes a MultiPolygon of its two halves; a box without area
 * becomes a Point or a LineString.
 * @throws GeometryError when south > north or a value is not finite
 */
export function boundingBoxToPolygon([west, south, east, north]: BoundingBox): Geometry {
  if (![west, south, east, north].every(Number.isFinite))
    throw new GeometryError('bbox: values must be finite');
  if (south > north) throw new GeometryError(`bbox: south ${south} is greater than north ${north}`);
  const ring = (minimumX: number, maximumX: number): Position[][] => [
    [
      [minimumX, south],
      [maximumX, south],
      [maximumX, north],
      [minimumX, north],
      [minimumX, south],
    ],
  ];
  if (west > east) return { type: 'MultiPolygon', coordinates: [ring(west, 180), ring(-180, east)] };
  // A box without width or height has no area: say what it is rather than hand out a degenerate ring.
  if (west === east && south === north) return { type: 'Point', coordinates: [west, south] };
  if (west === east || south === north) {
    return {
      type: 'LineString',
      coordinates: [
        [west, south],
        [east, north],
      ],
    };
  }
  return { type: 'Polygon', coordinates: ring(west, east) };
}
