// Small planar helpers on GeoJSON geometries that every provider needs: envelopes, the exact "intersects a box"
// test behind the bbox parameter, and coordinate mapping for CRS transforms.
import type { Geometry, Position } from 'geojson';
import type { BoundingBox } from './provider';

/** The envelope of a geometry, or undefined when it has no coordinates. */
export function boundingBoxOf(geometry: Geometry | null | undefined): BoundingBox | undefined {
  if (!geometry) return undefined;
  const box: BoundingBox = [Infinity, Infinity, -Infinity, -Infinity];
  forEachPosition(geometry, (position) => {
    if (position[0] < box[0]) box[0] = position[0];
    if (position[1] < box[1]) box[1] = position[1];
    if (position[0] > box[2]) box[2] = position[0];
    if (position[1] > box[3]) box[3] = position[1];
  });
  return box[0] === Infinity ? undefined : box;
}

/** Calls `visit` for every position of a geometry. */
export function forEachPosition(geometry: Geometry, visit: (position: Position) => void): void {
  switch (geometry.type) {
    case 'Point':
      visit(geometry.coordinates);
      return;
    case 'MultiPoint':
    case 'LineString':
      geometry.coordinates.forEach(visit);
      return;
    case 'MultiLineString':
    case 'Polygon':
      for (const line of geometry.coordinates) line.forEach(visit);
      return;
    case 'MultiPolygon':
      for (const polygon of geometry.coordinates) for (const ring of polygon) ring.forEach(visit);
      return;
    case 'GeometryCollection':
      for (const member of geometry.geometries) forEachPosition(member, visit);
  }
}

/** A copy of a geometry with every position mapped. */
export function mapPositions(geometry: Geometry, map: (position: Position) => Position): Geometry {
  switch (geometry.type) {
    case 'Point':
      return { type: 'Point', coordinates: map(geometry.coordinates) };
    case 'MultiPoint':
      return { type: 'MultiPoint', coordinates: geometry.coordinates.map(map) };
    case 'LineString':
      return { type: 'LineString', coordinates: geometry.coordinates.map(map) };
    case 'MultiLineString':
      return { type: 'MultiLineString', coordinates: geometry.coordinates.map((line) => line.map(map)) };
    case 'Polygon':
      return { type: 'Polygon', coordinates: geometry.coordinates.map((ring) => ring.map(map)) };
    case 'MultiPolygon':
      return {
        type: 'MultiPolygon',
        coordinates: geometry.coordinates.map((polygon) => polygon.map((ring) => ring.map(map))),
      };
    case 'GeometryCollection':
      return {
        type: 'GeometryCollection',
        geometries: geometry.geometries.map((member) => mapPositions(member, map)),
      };
  }
}

/** Whether two boxes share at least one point. */
export function boxesIntersect(a: BoundingBox, b: BoundingBox): boolean {
  return a[0] <= b[2] && a[2] >= b[0] && a[1] <= b[3] && a[3] >= b[1];
}

function insideBox(position: Position, box: BoundingBox): boolean {
  return position[0] >= box[0] && position[0] <= box[2] && position[1] >= box[1] && position[1] <= box[3];
}

function segmentsIntersect(p1: Position, p2: Position, p3: Position, p4: Position): boolean {
  const d1 = cross(p3, p4, p1);
  const d2 = cross(p3, p4, p2);
  const d3 = cross(p1, p2, p3);
  const d4 = cross(p1, p2, p4);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
  return (
    (d1 === 0 && onSegment(p3, p4, p1)) ||
    (d2 === 0 && onSegment(p3, p4, p2)) ||
    (d3 === 0 && onSegment(p1, p2, p3)) ||
    (d4 === 0 && onSegment(p1, p2, p4))
  );
}

function cross(a: Position, b: Position, c: Position): number {
  return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
}

function onSegment(a: Position, b: Position, p: Position): boolean {
  return (
    Math.min(a[0], b[0]) <= p[0] &&
    p[0] <= Math.max(a[0], b[0]) &&
    Math.min(a[1], b[1]) <= p[1] &&
    p[1] <= Math.max(a[1], b[1])
  );
}

function lineTouchesBox(line: Position[], box: BoundingBox): boolean {
  if (line.some((position) => insideBox(position, box))) return true;
  const corners: Position[] = [
    [box[0], box[1]],
    [box[2], box[1]],
    [box[2], box[3]],
    [box[0], box[3]],
  ];
  for (let index = 1; index < line.length; index++) {
    for (let side = 0; side < 4; side++) {
      if (segmentsIntersect(line[index - 1], line[index], corners[side], corners[(side + 1) % 4]))
        return true;
    }
  }
  return false;
}

/** Even-odd point-in-polygon over all rings (holes excluded). */
export function pointInPolygon(point: Position, rings: Position[][]): boolean {
  let inside = false;
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if (yi > point[1] !== yj > point[1] && point[0] < ((xj - xi) * (point[1] - yi)) / (yj - yi) + xi)
        inside = !inside;
    }
  }
  return inside;
}

function polygonTouchesBox(rings: Position[][], box: BoundingBox): boolean {
  if (rings.some((ring) => lineTouchesBox(ring, box))) return true;
  // No edge meets the box and no vertex lies in it: the box is either inside the polygon or outside it.
  return pointInPolygon([box[0], box[1]], rings);
}

/** Whether a geometry shares at least one point with a box (exact, planar). */
export function geometryIntersectsBox(geometry: Geometry, box: BoundingBox): boolean {
  const envelope = boundingBoxOf(geometry);
  if (!envelope || !boxesIntersect(envelope, box)) return false;
  switch (geometry.type) {
    case 'Point':
      return insideBox(geometry.coordinates, box);
    case 'MultiPoint':
      return geometry.coordinates.some((position) => insideBox(position, box));
    case 'LineString':
      return lineTouchesBox(geometry.coordinates, box);
    case 'MultiLineString':
      return geometry.coordinates.some((line) => lineTouchesBox(line, box));
    case 'Polygon':
      return polygonTouchesBox(geometry.coordinates, box);
    case 'MultiPolygon':
      return geometry.coordinates.some((polygon) => polygonTouchesBox(polygon, box));
    case 'GeometryCollection':
      return geometry.geometries.some((member) => geometryIntersectsBox(member, box));
  }
}
