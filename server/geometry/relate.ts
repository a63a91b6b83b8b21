// The DE-9IM intersection matrix of two GeoJSON geometries in the plane of their longitude/latitude, and the OGC
// Simple Features predicates defined on it. Input vertices are classified with exact orientation tests; points the
// algorithm derives (segment crossings, midpoints of split edges) are located with a tolerance of 1e-12 of the
// coordinates' magnitude (about 0.02 mm on Earth), since they cannot be represented exactly.
import type { Geometry, Position } from 'geojson';
import { boundingBoxesIntersect, type BoundingBox } from './bounding-box';
import { orientation } from './orientation';

const INTERIOR = 0;
const BOUNDARY = 1;
const EXTERIOR = 2;
type Location = typeof INTERIOR | typeof BOUNDARY | typeof EXTERIOR;

/** A straight edge of a line string or of a polygon ring. */
interface Segment {
  ax: number;
  ay: number;
  bx: number;
  by: number;
  minimumX: number;
  maximumX: number;
  minimumY: number;
  maximumY: number;
  kind: 'line' | 'ring';
  /** For ring edges: whether the polygon's interior lies left of a→b. */
  interiorLeft: boolean;
}

interface PreparedPolygon {
  /** Ring edges, shell first. */
  rings: Segment[][];
  box: BoundingBox;
}

/** A geometry taken apart into the pieces the relate algorithm works on; computed once per geometry object. */
interface PreparedGeometry {
  points: Array<[number, number]>;
  lineSegments: Segment[];
  polygons: PreparedPolygon[];
  /** Every edge, lines and rings. */
  segments: Segment[];
  /** Every vertex of lines and rings. */
  vertices: Array<[number, number]>;
  /** The first vertex of every line and of every polygon's shell. */
  partStarts: Array<[number, number]>;
  /** Line end points that occur an odd number of times (the mod-2 boundary rule of OGC Simple Features). */
  lineBoundary: Array<[number, number]>;
  lineBoundaryKeys: Set<string>;
  /** Topological dimension: -1 empty, 0 points, 1 lines, 2 areas (the highest part of a collection). */
  dimension: number;
  box: BoundingBox | undefined;
}

function createSegment(a: Position, b: Position, kind: Segment['kind'], interiorLeft: boolean): Segment {
  const ax = a[0]!;
  const ay = a[1]!;
  const bx = b[0]!;
  const by = b[1]!;
  return {
    ax,
    ay,
    bx,
    by,
    minimumX: Math.min(ax, bx),
    maximumX: Math.max(ax, bx),
    minimumY: Math.min(ay, by),
    maximumY: Math.max(ay, by),
    kind,
    interiorLeft,
  };
}

function withoutRepeats(positions: Position[]): Position[] {
  return positions.filter(
    (position, index) =>
      index === 0 || position[0] !== positions[index - 1]![0] || position[1] !== positions[index - 1]![1],
  );
}

function signedArea(ring: Position[]): number {
  let sum = 0;
  for (let index = 0; index + 1 < ring.length; index++) {
    sum += ring[index]![0]! * ring[index + 1]![1]! - ring[index + 1]![0]! * ring[index]![1]!;
  }
  return sum / 2;
}

const PREPARED = new WeakMap<Geometry, PreparedGeometry>();

/** Takes a geometry apart (cached per object: geometries must not be changed after they were related). */
function prepareGeometry(geometry: Geometry): PreparedGeometry {
  const cached = PREPARED.get(geometry);
  if (cached) return cached;
  const prepared: PreparedGeometry = {
    points: [],
    lineSegments: [],
    polygons: [],
    segments: [],
    vertices: [],
    partStarts: [],
    lineBoundary: [],
    lineBoundaryKeys: new Set(),
    dimension: -1,
    box: undefined,
  };
  const endpointCounts = new Map<string, { point: [number, number]; count: number }>();
  const addLine = (positions: Position[]): void => {
    const line = withoutRepeats(positions);
    if (line.length === 1) {
      prepared.points.push([line[0]![0]!, line[0]![1]!]);
      return;
    }
    for (let index = 0; index + 1 < line.length; index++) {
      prepared.lineSegments.push(createSegment(line[index]!, line[index + 1]!, 'line', false));
    }
    for (const position of line) prepared.vertices.push([position[0]!, position[1]!]);
    prepared.partStarts.push([line[0]![0]!, line[0]![1]!]);
    for (const end of [line[0]!, line[line.length - 1]!]) {
      const key = `${end[0]},${end[1]}`;
      const entry = endpointCounts.get(key);
      if (entry) entry.count++;
      else endpointCounts.set(key, { point: [end[0]!, end[1]!], count: 1 });
    }
  };
  const addPolygon = (rings: Position[][]): void => {
    const shell = withoutRepeats(rings[0] ?? []);
    const shellArea = signedArea(shell);
    if (shell.length < 4 || shellArea === 0) {
      // A shell without area is, as a point set, the line it collapses to.
      if (shell.length > 0) addLine(shell);
      return;
    }
    const polygon: PreparedPolygon = { rings: [], box: [Infinity, Infinity, -Infinity, -Infinity] };
    prepared.partStarts.push([shell[0]![0]!, shell[0]![1]!]);
    rings.forEach((raw, ringIndex) => {
      const ring = ringIndex === 0 ? shell : withoutRepeats(raw);
      const area = ringIndex === 0 ? shellArea : signedArea(ring);
      if (ring.length < 4 || area === 0) return;
      const interiorLeft = ringIndex === 0 ? area > 0 : area < 0;
      const segments: Segment[] = [];
      for (let index = 0; index + 1 < ring.length; index++) {
        segments.push(createSegment(ring[index]!, ring[index + 1]!, 'ring', interiorLeft));
      }
      for (const position of ring) {
        prepared.vertices.push([position[0]!, position[1]!]);
        polygon.box[0] = Math.min(polygon.box[0], position[0]!);
        polygon.box[1] = Math.min(polygon.box[1], position[1]!);
        polygon.box[2] = Math.max(polygon.box[2], position[0]!);
        polygon.box[3] = Math.max(polygon.box[3], position[1]!);
      }
      polygon.rings.push(segments);
    });
    prepared.polygons.push(polygon);
  };
  const visit = (member: Geometry): void => {
    switch (member.type) {
      case 'Point':
        prepared.points.push([member.coordinates[0]!, member.coordinates[1]!]);
        break;
      case 'MultiPoint':
        for (const position of member.coordinates) prepared.points.push([position[0]!, position[1]!]);
        break;
      case 'LineString':
        if (member.coordinates.length > 0) addLine(member.coordinates);
        break;
      case 'MultiLineString':
        for (const line of member.coordinates) if (line.length > 0) addLine(line);
        break;
      case 'Polygon':
        if (member.coordinates.length > 0) addPolygon(member.coordinates);
        break;
      case 'MultiPolygon':
        for (const polygon of member.coordinates) if (polygon.length > 0) addPolygon(polygon);
        break;
      case 'GeometryCollection':
        member.geometries.forEach(visit);
        break;
    }
  };
  visit(geometry);
  for (const { point, count } of endpointCounts.values()) {
    if (count % 2 === 1) {
      prepared.lineBoundary.push(point);
      prepared.lineBoundaryKeys.add(`${point[0]},${point[1]}`);
    }
  }
  for (const polygon of prepared.polygons) for (const ring of polygon.rings) prepared.segments.push(...ring);
  prepared.segments.push(...prepared.lineSegments);
  prepared.dimension =
    prepared.polygons.length > 0
      ? 2
      : prepared.lineSegments.length > 0
        ? 1
        : prepared.points.length > 0
          ? 0
          : -1;
  const box: BoundingBox = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of [...prepared.points, ...prepared.vertices]) {
    box[0] = Math.min(box[0], x);
    box[1] = Math.min(box[1], y);
    box[2] = Math.max(box[2], x);
    box[3] = Math.max(box[3], y);
  }
  prepared.box = box[0] === Infinity ? undefined : box;
  PREPARED.set(geometry, prepared);
  return prepared;
}

function isOnSegment(x: number, y: number, segment: Segment, tolerance: number): boolean {
  if (
    x < segment.minimumX - tolerance ||
    x > segment.maximumX + tolerance ||
    y < segment.minimumY - tolerance ||
    y > segment.maximumY + tolerance
  ) {
    return false;
  }
  if (tolerance === 0) return orientation(segment.ax, segment.ay, segment.bx, segment.by, x, y) === 0;
  const dx = segment.bx - segment.ax;
  const dy = segment.by - segment.ay;
  const length = dx * dx + dy * dy;
  const t = Math.max(0, Math.min(1, ((x - segment.ax) * dx + (y - segment.ay) * dy) / length));
  const ex = segment.ax + t * dx - x;
  const ey = segment.ay + t * dy - y;
  return ex * ex + ey * ey <= tolerance * tolerance;
}

/** Winding number of a closed ring around a point that is not on it (Sunday's algorithm, exact orientation). */
function windingNumber(x: number, y: number, ring: Segment[]): number {
  let winding = 0;
  for (const segment of ring) {
    if (segment.ay <= y) {
      if (segment.by > y && orientation(segment.ax, segment.ay, segment.bx, segment.by, x, y) > 0) winding++;
    } else if (segment.by <= y && orientation(segment.ax, segment.ay, segment.bx, segment.by, x, y) < 0) {
      winding--;
    }
  }
  return winding;
}

/** Location of a point relative to the union of a geometry's polygons. */
function locateInAreas(x: number, y: number, geometry: PreparedGeometry, tolerance: number): Location {
  let onBoundary = false;
  for (const polygon of geometry.polygons) {
    const [west, south, east, north] = polygon.box;
    if (x < west - tolerance || x > east + tolerance || y < south - tolerance || y > north + tolerance)
      continue;
    let onThisBoundary = false;
    for (const ring of polygon.rings) {
      if (ring.some((segment) => isOnSegment(x, y, segment, tolerance))) {
        onThisBoundary = true;
        break;
      }
    }
    if (onThisBoundary) {
      onBoundary = true;
      continue;
    }
    const [shell, ...holes] = polygon.rings;
    if (windingNumber(x, y, shell!) === 0) continue;
    if (holes.some((hole) => windingNumber(x, y, hole) !== 0)) continue;
    return INTERIOR;
  }
  return onBoundary ? BOUNDARY : EXTERIOR;
}

/**
 * Location of a point relative to a geometry. In a collection, parts rank: area interior, area boundary, line
 * boundary (mod-2 end points), line interior, point.
 */
function locatePoint(x: number, y: number, geometry: PreparedGeometry, tolerance: number): Location {
  if (geometry.box) {
    const [west, south, east, north] = geometry.box;
    if (x < west - tolerance || x > east + tolerance || y < south - tolerance || y > north + tolerance)
      return EXTERIOR;
  } else {
    return EXTERIOR;
  }
  const area = locateInAreas(x, y, geometry, tolerance);
  if (area !== EXTERIOR) return area;
  if (geometry.lineSegments.length > 0) {
    const onLineBoundary =
      tolerance === 0
        ? geometry.lineBoundaryKeys.has(`${x},${y}`)
        : geometry.lineBoundary.some(([bx, by]) => (bx - x) ** 2 + (by - y) ** 2 <= tolerance * tolerance);
    if (onLineBoundary) return BOUNDARY;
    if (geometry.lineSegments.some((segment) => isOnSegment(x, y, segment, tolerance))) return INTERIOR;
  }
  const onPoint =
    tolerance === 0
      ? geometry.points.some(([px, py]) => px === x && py === y)
      : geometry.points.some(([px, py]) => (px - x) ** 2 + (py - y) ** 2 <= tolerance * tolerance);
  return onPoint ? INTERIOR : EXTERIOR;
}

/** Where a point derived from an edge of `geometry` lies in it, falling back to the edge's own kind. */
function locateOnOwnEdge(
  x: number,
  y: number,
  geometry: PreparedGeometry,
  segment: Segment,
  tolerance: number,
) {
  const location = locatePoint(x, y, geometry, tolerance);
  if (location !== EXTERIOR) return location;
  return segment.kind === 'ring' ? BOUNDARY : INTERIOR;
}

/** A 3×3 matrix in row order II IB IE BI BB BE EI EB EE; -1 stands for F (empty). */
type Matrix = number[];

function raise(matrix: Matrix, row: Location, column: Location, dimension: number): void {
  const index = row * 3 + column;
  if (matrix[index]! < dimension) matrix[index] = dimension;
}

function transpose(matrix: Matrix): Matrix {
  return [0, 3, 6, 1, 4, 7, 2, 5, 8].map((index) => matrix[index]!);
}

/** The matrix when `a` consists of points only (or is empty): one location test per point. */
function relatePoints(a: PreparedGeometry, b: PreparedGeometry): Matrix {
  const matrix: Matrix = [-1, -1, -1, -1, -1, -1, -1, -1, 2];
  for (const [x, y] of a.points) raise(matrix, INTERIOR, locatePoint(x, y, b, 0), 0);
  // What of b remains outside a finite set of points.
  if (b.dimension >= 1) {
    raise(matrix, EXTERIOR, INTERIOR, b.dimension);
  } else if (b.points.some(([x, y]) => locatePoint(x, y, a, 0) === EXTERIOR)) {
    raise(matrix, EXTERIOR, INTERIOR, 0);
  }
  if (b.polygons.length > 0) {
    raise(matrix, EXTERIOR, BOUNDARY, 1);
  } else if (b.lineBoundary.some(([x, y]) => locatePoint(x, y, a, 0) === EXTERIOR)) {
    raise(matrix, EXTERIOR, BOUNDARY, 0);
  }
  return matrix;
}

/** Parameter of a point along a segment, on its dominant axis. */
function parameterOn(segment: Segment, x: number, y: number): number {
  const dx = segment.bx - segment.ax;
  const dy = segment.by - segment.ay;
  return Math.abs(dx) >= Math.abs(dy) ? (x - segment.ax) / dx : (y - segment.ay) / dy;
}

/** A proper crossing of an edge of a with an edge of b: computed, so located with the tolerance. */
interface Crossing {
  x: number;
  y: number;
  segmentA: Segment;
  segmentB: Segment;
}

function isWithinBox(segment: Segment, x: number, y: number): boolean {
  return x >= segment.minimumX && x <= segment.maximumX && y >= segment.minimumY && y <= segment.maximumY;
}

/** Finds where the edges of a and b meet; records split points on both and the crossings as nodes. */
function nodeSegments(
  a: PreparedGeometry,
  b: PreparedGeometry,
  splitsA: Map<Segment, Array<[number, number]>>,
  splitsB: Map<Segment, Array<[number, number]>>,
  nodes: Crossing[],
): void {
  const addSplit = (
    splits: Map<Segment, Array<[number, number]>>,
    segment: Segment,
    x: number,
    y: number,
  ): void => {
    if ((x === segment.ax && y === segment.ay) || (x === segment.bx && y === segment.by)) return;
    const list = splits.get(segment);
    if (list) list.push([x, y]);
    else splits.set(segment, [[x, y]]);
  };
  const compare = (sa: Segment, sb: Segment): void => {
    const o1 = orientation(sa.ax, sa.ay, sa.bx, sa.by, sb.ax, sb.ay);
    const o2 = orientation(sa.ax, sa.ay, sa.bx, sa.by, sb.bx, sb.by);
    if (o1 === 0 && o2 === 0) {
      // Collinear: every end point of one that lies on the other splits it.
      if (isWithinBox(sa, sb.ax, sb.ay)) addSplit(splitsA, sa, sb.ax, sb.ay);
      if (isWithinBox(sa, sb.bx, sb.by)) addSplit(splitsA, sa, sb.bx, sb.by);
      if (isWithinBox(sb, sa.ax, sa.ay)) addSplit(splitsB, sb, sa.ax, sa.ay);
      if (isWithinBox(sb, sa.bx, sa.by)) addSplit(splitsB, sb, sa.bx, sa.by);
      return;
    }
    if (o1 * o2 > 0) return;
    const o3 = orientation(sb.ax, sb.ay, sb.bx, sb.by, sa.ax, sa.ay);
    const o4 = orientation(sb.ax, sb.ay, sb.bx, sb.by, sa.bx, sa.by);
    if (o3 * o4 > 0) return;
    if (o1 === 0) addSplit(splitsA, sa, sb.ax, sb.ay);
    if (o2 === 0) addSplit(splitsA, sa, sb.bx, sb.by);
    if (o3 === 0) addSplit(splitsB, sb, sa.ax, sa.ay);
    if (o4 === 0) addSplit(splitsB, sb, sa.bx, sa.by);
    if (o1 !== 0 && o2 !== 0 && o3 !== 0 && o4 !== 0) {
      // A proper crossing: the only point the algorithm has to compute.
      const rx = sa.bx - sa.ax;
      const ry = sa.by - sa.ay;
      const sx = sb.bx - sb.ax;
      const sy = sb.by - sb.ay;
      const t = ((sb.ax - sa.ax) * sy - (sb.ay - sa.ay) * sx) / (rx * sy - ry * sx);
      let x = sa.ax + t * rx;
      let y = sa.ay + t * ry;
      x = Math.min(Math.max(x, Math.max(sa.minimumX, sb.minimumX)), Math.min(sa.maximumX, sb.maximumX));
      y = Math.min(Math.max(y, Math.max(sa.minimumY, sb.minimumY)), Math.min(sa.maximumY, sb.maximumY));
      addSplit(splitsA, sa, x, y);
      addSplit(splitsB, sb, x, y);
      nodes.push({ x, y, segmentA: sa, segmentB: sb });
    }
  };
  forEachCandidatePair(a, b, (segmentA, segmentB) => {
    compare(segmentA, segmentB);
    return false;
  });
  // Every vertex and isolated point of either geometry that lies on an edge splits it, its own included: then no
  // piece's midpoint can fall on a vertex (a line's end point touching its own middle, a T-junction in a
  // multilinestring), so each piece is located by a point of its open interior.
  const vertices = [...a.vertices, ...a.points, ...b.vertices, ...b.points].sort(
    (first, second) => first[0] - second[0],
  );
  const splitAtVertices = (segments: Segment[], splits: typeof splitsA): void => {
    for (const segment of segments) {
      let low = 0;
      let high = vertices.length;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if (vertices[middle]![0] < segment.minimumX) low = middle + 1;
        else high = middle;
      }
      for (let index = low; index < vertices.length && vertices[index]![0] <= segment.maximumX; index++) {
        const [x, y] = vertices[index]!;
        if (y < segment.minimumY || y > segment.maximumY) continue;
        if (isOnSegment(x, y, segment, 0)) addSplit(splits, segment, x, y);
      }
    }
  };
  splitAtVertices(a.segments, splitsA);
  splitAtVertices(b.segments, splitsB);
}

/** The pieces of an edge between consecutive split points, as their midpoints. */
function edgePieces(segment: Segment, splits: Array<[number, number]> | undefined): Array<[number, number]> {
  if (!splits) return [[(segment.ax + segment.bx) / 2, (segment.ay + segment.by) / 2]];
  const ordered = splits
    .map(([x, y]) => ({ x, y, t: parameterOn(segment, x, y) }))
    .filter(({ t }) => t > 0 && t < 1)
    .sort((first, second) => first.t - second.t);
  const stops = [{ x: segment.ax, y: segment.ay }, ...ordered, { x: segment.bx, y: segment.by }];
  const midpoints: Array<[number, number]> = [];
  for (let index = 0; index + 1 < stops.length; index++) {
    const start = stops[index]!;
    const end = stops[index + 1]!;
    if (start.x === end.x && start.y === end.y) continue;
    midpoints.push([(start.x + end.x) / 2, (start.y + end.y) / 2]);
  }
  return midpoints;
}

/** Whether a and b have their interiors on the same side of an edge piece they share. */
function interiorsOnSameSide(
  piece: Segment,
  x: number,
  y: number,
  other: PreparedGeometry,
  tolerance: number,
) {
  let best: Segment | undefined;
  let bestSine = Infinity;
  const dx = piece.bx - piece.ax;
  const dy = piece.by - piece.ay;
  for (const polygon of other.polygons) {
    for (const ring of polygon.rings) {
      for (const segment of ring) {
        if (!isOnSegment(x, y, segment, tolerance)) continue;
        const ox = segment.bx - segment.ax;
        const oy = segment.by - segment.ay;
        const sine = Math.abs(dx * oy - dy * ox) / Math.hypot(dx, dy) / Math.hypot(ox, oy);
        if (sine < bestSine) {
          bestSine = sine;
          best = segment;
        }
      }
    }
  }
  if (!best) return undefined;
  const sameDirection = dx * (best.bx - best.ax) + dy * (best.by - best.ay) > 0;
  return sameDirection ? piece.interiorLeft === best.interiorLeft : piece.interiorLeft !== best.interiorLeft;
}

function computeMatrix(a: PreparedGeometry, b: PreparedGeometry): Matrix {
  if (a.dimension <= 0) return relatePoints(a, b);
  if (b.dimension <= 0) return transpose(relatePoints(b, a));
  const matrix: Matrix = [-1, -1, -1, -1, -1, -1, -1, -1, 2];
  let scale = 1;
  for (const box of [a.box!, b.box!]) for (const value of box) scale = Math.max(scale, Math.abs(value));
  const tolerance = scale * 1e-12;

  const splitsA = new Map<Segment, Array<[number, number]>>();
  const splitsB = new Map<Segment, Array<[number, number]>>();
  const nodes: Crossing[] = [];
  nodeSegments(a, b, splitsA, splitsB, nodes);

  // Dimension 0: vertices, isolated points and crossings.
  for (const [x, y] of [...a.vertices, ...a.points, ...b.vertices, ...b.points]) {
    const locationA = locatePoint(x, y, a, 0);
    const locationB = locatePoint(x, y, b, 0);
    if (locationA !== EXTERIOR || locationB !== EXTERIOR) raise(matrix, locationA, locationB, 0);
  }
  for (const node of nodes) {
    raise(
      matrix,
      locateOnOwnEdge(node.x, node.y, a, node.segmentA, tolerance),
      locateOnOwnEdge(node.x, node.y, b, node.segmentB, tolerance),
      0,
    );
  }

  // Dimension 1: the pieces of every edge between split points; dimension 2 follows from the ring pieces.
  const bothAreas = a.polygons.length > 0 && b.polygons.length > 0;
  const visitEdges = (
    own: PreparedGeometry,
    other: PreparedGeometry,
    splits: typeof splitsA,
    ownIsA: boolean,
  ) => {
    for (const segment of own.segments) {
      for (const [x, y] of edgePieces(segment, splits.get(segment))) {
        const ownLocation = locateOnOwnEdge(x, y, own, segment, tolerance);
        const otherLocation = locatePoint(x, y, other, tolerance);
        if (ownIsA) raise(matrix, ownLocation, otherLocation, 1);
        else raise(matrix, otherLocation, ownLocation, 1);
        if (!bothAreas || segment.kind !== 'ring') continue;
        // Only true boundary pieces bound the area (in a collection, a ring may lie inside another polygon).
        if (locateInAreas(x, y, own, tolerance) === INTERIOR) continue;
        const otherArea = locateInAreas(x, y, other, tolerance);
        // Beside a boundary piece of one area lie its interior and its exterior; where the piece lies in the other
        // says which parts of the other they meet.
        if (ownIsA) {
          if (otherArea === INTERIOR) {
            raise(matrix, INTERIOR, INTERIOR, 2);
            raise(matrix, EXTERIOR, INTERIOR, 2);
          } else if (otherArea === EXTERIOR) {
            raise(matrix, INTERIOR, EXTERIOR, 2);
          } else {
            const same = interiorsOnSameSide(segment, x, y, other, tolerance);
            if (same === true) raise(matrix, INTERIOR, INTERIOR, 2);
            if (same === false) {
              raise(matrix, INTERIOR, EXTERIOR, 2);
              raise(matrix, EXTERIOR, INTERIOR, 2);
            }
          }
        } else if (otherArea === INTERIOR) {
          raise(matrix, INTERIOR, INTERIOR, 2);
          raise(matrix, INTERIOR, EXTERIOR, 2);
        } else if (otherArea === EXTERIOR) {
          raise(matrix, EXTERIOR, INTERIOR, 2);
        }
        // Shared pieces were already judged from a's side.
      }
    }
  };
  visitEdges(a, b, splitsA, true);
  visitEdges(b, a, splitsB, false);
  // An area is never covered by something of lower dimension.
  if (a.polygons.length > 0 && b.polygons.length === 0) raise(matrix, INTERIOR, EXTERIOR, 2);
  if (b.polygons.length > 0 && a.polygons.length === 0) raise(matrix, EXTERIOR, INTERIOR, 2);
  return matrix;
}

function formatMatrix(matrix: Matrix): string {
  return matrix.map((dimension) => (dimension < 0 ? 'F' : String(dimension))).join('');
}

function matchesPattern(matrix: Matrix, pattern: string): boolean {
  for (let index = 0; index < 9; index++) {
    const symbol = pattern[index]!;
    const dimension = matrix[index]!;
    if (symbol === '*') continue;
    if (symbol === 'T' && dimension < 0) return false;
    if (symbol === 'F' && dimension >= 0) return false;
    if (symbol >= '0' && symbol <= '2' && dimension !== Number(symbol)) return false;
  }
  return true;
}

/**
 * The DE-9IM intersection matrix of a and b as nine characters (II IB IE BI BB BE EI EB EE; F, 0, 1 or 2), in the
 * plane of longitude/latitude. Collections are taken as the union of their parts.
 */
export function relate(a: Geometry, b: Geometry): string {
  return formatMatrix(computeMatrix(prepareGeometry(a), prepareGeometry(b)));
}

/**
 * Whether the DE-9IM matrix of a and b matches a pattern of nine characters from `T F * 0 1 2`.
 * @throws Error when the pattern is malformed
 */
export function relatePattern(a: Geometry, b: Geometry, pattern: string): boolean {
  if (!/^[TF*012]{9}$/i.test(pattern)) throw new Error(`invalid DE-9IM pattern '${pattern}'`);
  return matchesPattern(computeMatrix(prepareGeometry(a), prepareGeometry(b)), pattern.toUpperCase());
}

/** The topological dimension of a geometry: -1 when empty, 0 points, 1 lines, 2 areas (a collection's highest). */
export function dimension(geometry: Geometry): number {
  return prepareGeometry(geometry).dimension;
}

/** Computes the matrix only when the boxes meet: every predicate but disjoint needs a common point. */
function matrixWhenBoxesMeet(
  a: Geometry,
  b: Geometry,
): [Matrix, PreparedGeometry, PreparedGeometry] | undefined {
  const preparedA = prepareGeometry(a);
  const preparedB = prepareGeometry(b);
  if (!preparedA.box || !preparedB.box || !boundingBoxesIntersect(preparedA.box, preparedB.box))
    return undefined;
  return [computeMatrix(preparedA, preparedB), preparedA, preparedB];
}

/** Where a single point lies in the other geometry: the fast path of the broker's many point entities. */
function locateSinglePoint(point: Geometry, other: Geometry): Location {
  const [x, y] = (point as { coordinates: Position }).coordinates;
  return locatePoint(x!, y!, prepareGeometry(other), 0);
}

/** a and b share at least one point (not disjoint). */
export function intersects(a: Geometry, b: Geometry): boolean {
  return !disjoint(a, b);
}

/** a and b share no point: FF*FF****. */
export function disjoint(a: Geometry, b: Geometry): boolean {
  if (a.type === 'Point') return locateSinglePoint(a, b) === EXTERIOR;
  if (b.type === 'Point') return locateSinglePoint(b, a) === EXTERIOR;
  const preparedA = prepareGeometry(a);
  const preparedB = prepareGeometry(b);
  if (!preparedA.box || !preparedB.box || !boundingBoxesIntersect(preparedA.box, preparedB.box)) return true;
  return !shareAnyPoint(preparedA, preparedB);
}

/** Whether two edges have a point in common (exact). */
function edgesTouch(sa: Segment, sb: Segment): boolean {
  const o1 = orientation(sa.ax, sa.ay, sa.bx, sa.by, sb.ax, sb.ay);
  const o2 = orientation(sa.ax, sa.ay, sa.bx, sa.by, sb.bx, sb.by);
  if (o1 === 0 && o2 === 0) {
    return (
      isWithinBox(sa, sb.ax, sb.ay) ||
      isWithinBox(sa, sb.bx, sb.by) ||
      isWithinBox(sb, sa.ax, sa.ay) ||
      isWithinBox(sb, sa.bx, sa.by)
    );
  }
  if (o1 * o2 > 0) return false;
  const o3 = orientation(sb.ax, sb.ay, sb.bx, sb.by, sa.ax, sa.ay);
  const o4 = orientation(sb.ax, sb.ay, sb.bx, sb.by, sa.bx, sa.by);
  return o3 * o4 <= 0;
}

/**
 * Visits every pair of an edge of `a` and an edge of `b` whose bounding boxes overlap, sweeping along x so that only
 * edges whose x ranges overlap are compared. Stops as soon as `visit` returns true.
 * @returns whether `visit` stopped the sweep
 */
function forEachCandidatePair(
  a: PreparedGeometry,
  b: PreparedGeometry,
  visit: (segmentA: Segment, segmentB: Segment) => boolean,
): boolean {
  const events = [
    ...a.segments.map((segment) => ({ segment, fromA: true })),
    ...b.segments.map((segment) => ({ segment, fromA: false })),
  ].sort((first, second) => first.segment.minimumX - second.segment.minimumX);
  let activeA: Segment[] = [];
  let activeB: Segment[] = [];
  for (const { segment, fromA } of events) {
    const others = (fromA ? activeB : activeA).filter((other) => other.maximumX >= segment.minimumX);
    if (fromA) activeB = others;
    else activeA = others;
    for (const other of others) {
      if (other.minimumY > segment.maximumY || other.maximumY < segment.minimumY) continue;
      if (fromA ? visit(segment, other) : visit(other, segment)) return true;
    }
    (fromA ? activeA : activeB).push(segment);
  }
  return false;
}

/**
 * The intersects test without the matrix: edges that touch, isolated points on the other, or a part lying wholly
 * inside the other's area (then any one of its vertices is inside). Stops at the first contact.
 */
function shareAnyPoint(a: PreparedGeometry, b: PreparedGeometry): boolean {
  for (const [x, y] of a.points) if (locatePoint(x, y, b, 0) !== EXTERIOR) return true;
  for (const [x, y] of b.points) if (locatePoint(x, y, a, 0) !== EXTERIOR) return true;
  if (forEachCandidatePair(a, b, edgesTouch)) return true;
  // No edges meet, so every line and every polygon lies wholly inside or wholly outside the other's area: its first
  // vertex tells which.
  if (b.polygons.length > 0) {
    for (const [x, y] of a.partStarts) if (locateInAreas(x, y, b, 0) !== EXTERIOR) return true;
  }
  if (a.polygons.length > 0) {
    for (const [x, y] of b.partStarts) if (locateInAreas(x, y, a, 0) !== EXTERIOR) return true;
  }
  return false;
}

/** a and b are the same point set: T*F**FFF*. */
export function equals(a: Geometry, b: Geometry): boolean {
  const result = matrixWhenBoxesMeet(a, b);
  return result !== undefined && matchesPattern(result[0], 'T*F**FFF*');
}

/** a lies in b and their interiors meet: T*F**F***. */
export function within(a: Geometry, b: Geometry): boolean {
  // A point lies within b exactly when it is in b's interior (it has no boundary and no other part).
  if (a.type === 'Point') return locateSinglePoint(a, b) === INTERIOR;
  const result = matrixWhenBoxesMeet(a, b);
  return result !== undefined && matchesPattern(result[0], 'T*F**F***');
}

/** b lies in a and their interiors meet: T*****FF*. */
export function contains(a: Geometry, b: Geometry): boolean {
  return within(b, a);
}

/** a and b meet only on their boundaries: FT*******, F**T***** or F***T****. */
export function touches(a: Geometry, b: Geometry): boolean {
  // A point touches b exactly when it is on b's boundary (points alone have none).
  if (a.type === 'Point') return locateSinglePoint(a, b) === BOUNDARY;
  if (b.type === 'Point') return locateSinglePoint(b, a) === BOUNDARY;
  const result = matrixWhenBoxesMeet(a, b);
  if (result === undefined) return false;
  const [matrix, preparedA, preparedB] = result;
  if (preparedA.dimension === 0 && preparedB.dimension === 0) return false;
  return (
    matchesPattern(matrix, 'FT*******') ||
    matchesPattern(matrix, 'F**T*****') ||
    matchesPattern(matrix, 'F***T****')
  );
}

/**
 * a and b cross: lower-dimension interiors meet the other's interior and exterior (T*T****** for P/L, P/A, L/A;
 * T*****T** the other way round), or two lines meet in points only (0********).
 */
export function crosses(a: Geometry, b: Geometry): boolean {
  const result = matrixWhenBoxesMeet(a, b);
  if (result === undefined) return false;
  const [matrix, preparedA, preparedB] = result;
  const dimensionA = preparedA.dimension;
  const dimensionB = preparedB.dimension;
  if (dimensionA === 1 && dimensionB === 1) return matchesPattern(matrix, '0********');
  if (dimensionA < dimensionB) return matchesPattern(matrix, 'T*T******');
  if (dimensionA > dimensionB) return matchesPattern(matrix, 'T*****T**');
  return false;
}

/**
 * a and b of the same dimension share part of their interiors and each has a part outside the other
 * (T*T***T** for points and areas, 1*T***T** for lines).
 */
export function overlaps(a: Geometry, b: Geometry): boolean {
  const result = matrixWhenBoxesMeet(a, b);
  if (result === undefined) return false;
  const [matrix, preparedA, preparedB] = result;
  if (preparedA.dimension !== preparedB.dimension) return false;
  return matchesPattern(matrix, preparedA.dimension === 1 ? '1*T***T**' : 'T*T***T**');
}

/** Location of a position relative to a geometry: 'interior', 'boundary' or 'exterior' (exact test). */
export function locate(position: Position, geometry: Geometry): 'interior' | 'boundary' | 'exterior' {
  const location = locatePoint(position[0]!, position[1]!, prepareGeometry(geometry), 0);
  return location === INTERIOR ? 'interior' : location === BOUNDARY ? 'boundary' : 'exterior';
}
