// Stage: a spatial quadtree over object centroids (longitude, latitude) with a vertex and object budget per leaf,
// and geometric errors derived from what each level leaves out.
import { FeatureIndex } from './feature-store';
import type { GeographicBounds } from './triangulate';

/** Options of {@link buildQuadtree}, with their defaults. */
export interface QuadtreeOptions {
  /** Most vertices a leaf holds (default 60 000, close to tyler's 42 000 per leaf). */
  maximumLeafVertices?: number;
  /** Most objects a leaf holds (default 2 000). */
  maximumLeafFeatures?: number;
  /** Deepest level (default 16). */
  maximumDepth?: number;
}

/** One tile of the tree. */
export interface QuadtreeNode {
  level: number;
  x: number;
  y: number;
  /** Objects whose full geometry this tile holds, in feature-number order (leaves only; empty for parents). */
  features: Int32Array;
  children: QuadtreeNode[];
  /** Union of the geographic bounds of every object below (degrees, metres). */
  bounds: GeographicBounds;
  /** Metres of error if this tile is shown and its children are not; 0 for leaves. */
  geometricError: number;
  /** Every object in this subtree, in no particular order (a view of an array shared by the whole tree). */
  subtreeFeatures: Int32Array;
}

const METRES_PER_DEGREE = 111_320;

/** Approximate diagonal of geographic bounds in metres. */
export function diagonalOf(bounds: GeographicBounds): number {
  return diagonalOfBox(
    bounds.west,
    bounds.south,
    bounds.east,
    bounds.north,
    bounds.minimumHeight,
    bounds.maximumHeight,
  );
}

/** Approximate diagonal of object `index`'s bounds in metres ({@link diagonalOf} without a bounds object). */
export function diagonalAt(entries: FeatureIndex, index: number): number {
  return diagonalOfBox(
    entries.boundAt(index, FeatureIndex.WEST),
    entries.boundAt(index, FeatureIndex.SOUTH),
    entries.boundAt(index, FeatureIndex.EAST),
    entries.boundAt(index, FeatureIndex.NORTH),
    entries.boundAt(index, FeatureIndex.MINIMUM_HEIGHT),
    entries.boundAt(index, FeatureIndex.MAXIMUM_HEIGHT),
  );
}

function diagonalOfBox(
  west: number,
  south: number,
  east: number,
  north: number,
  minimumHeight: number,
  maximumHeight: number,
): number {
  const latitude = ((north + south) / 2) * (Math.PI / 180);
  const dx = (east - west) * METRES_PER_DEGREE * Math.cos(latitude);
  const dy = (north - south) * METRES_PER_DEGREE;
  const dz = maximumHeight - minimumHeight;
  return Math.hypot(dx, dy, dz);
}

/** Union of bounds. */
export function unionBounds(target: GeographicBounds | undefined, other: GeographicBounds): GeographicBounds {
  if (!target) return { ...other };
  return {
    west: Math.min(target.west, other.west),
    south: Math.min(target.south, other.south),
    east: Math.max(target.east, other.east),
    north: Math.max(target.north, other.north),
    minimumHeight: Math.min(target.minimumHeight, other.minimumHeight),
    maximumHeight: Math.max(target.maximumHeight, other.maximumHeight),
  };
}

/**
 * Builds the quadtree over `entries` (assigned by centroid, so each object is in exactly one leaf). Memory: a few typed
 * arrays of one number per object; every node's objects are a range of one array of object numbers, each split
 * partitioning its range in place (stably, so a leaf's objects keep their order).
 * @throws Error when `entries` is empty (a developer error: the pipeline checks first).
 */
export function buildQuadtree(entries: FeatureIndex, options: QuadtreeOptions = {}): QuadtreeNode {
  const count = entries.length;
  if (count === 0) throw new Error('buildQuadtree: no objects');
  const maximumVertices = options.maximumLeafVertices ?? 60_000;
  const maximumFeatures = options.maximumLeafFeatures ?? 2_000;
  const maximumDepth = options.maximumDepth ?? 16;
  const centroidX = new Float64Array(count);
  const centroidY = new Float64Array(count);
  const diagonals = new Float64Array(count);
  let west = Infinity;
  let south = Infinity;
  let east = -Infinity;
  let north = -Infinity;
  for (let index = 0; index < count; index++) {
    centroidX[index] =
      (entries.boundAt(index, FeatureIndex.WEST) + entries.boundAt(index, FeatureIndex.EAST)) / 2;
    centroidY[index] =
      (entries.boundAt(index, FeatureIndex.SOUTH) + entries.boundAt(index, FeatureIndex.NORTH)) / 2;
    diagonals[index] = diagonalAt(entries, index);
    west = Math.min(west, centroidX[index]);
    east = Math.max(east, centroidX[index]);
    south = Math.min(south, centroidY[index]);
    north = Math.max(north, centroidY[index]);
  }
  // A square cell in metres keeps tiles roughly square.
  const latitudeScale = Math.cos(((south + north) / 2) * (Math.PI / 180)) || 1;
  const size = Math.max((east - west) * latitudeScale, north - south, 1e-7) * 1.000001;
  const cellWest = (west + east) / 2 - size / latitudeScale / 2;
  const cellSouth = (south + north) / 2 - size / 2;

  const order = Int32Array.from({ length: count }, (_, index) => index);
  const scratch = new Int32Array(count);
  const quadrantOf = new Uint8Array(count);
  const build = (start: number, end: number, level: number, x: number, y: number): QuadtreeNode => {
    const indices = order.subarray(start, end);
    let vertices = 0;
    const box = [Infinity, Infinity, -Infinity, -Infinity, Infinity, -Infinity];
    for (const index of indices) {
      vertices += entries.vertexCountAt(index);
      for (let side = 0; side < 6; side++) {
        const value = entries.boundAt(index, side);
        // West, south and the minimum height (sides 0, 1, 4) take the least value; the others the greatest.
        box[side] = side < 2 || side === 4 ? Math.min(box[side], value) : Math.max(box[side], value);
      }
    }
    const node: QuadtreeNode = {
      level,
      x,
      y,
      features: new Int32Array(0),
      children: [],
      bounds: {
        west: box[0],
        south: box[1],
        east: box[2],
        north: box[3],
        minimumHeight: box[4],
        maximumHeight: box[5],
      },
      geometricError: 0,
      subtreeFeatures: indices,
    };
    if (
      (vertices <= maximumVertices && indices.length <= maximumFeatures) ||
      level >= maximumDepth ||
      indices.length === 1
    ) {
      node.features = indices;
      return node;
    }
    const cellSize = size / 2 ** level;
    const middleX = cellWest + ((x + 0.5) * cellSize) / latitudeScale;
    const middleY = cellSouth + (y + 0.5) * cellSize;
    // A stable partition of the range into its four quadrants (through `scratch`), in quadrant order.
    const starts = [0, 0, 0, 0, 0];
    for (const index of indices) {
      const quadrant = (centroidX[index] >= middleX ? 1 : 0) + (centroidY[index] >= middleY ? 2 : 0);
      quadrantOf[index] = quadrant;
      starts[quadrant + 1]++;
    }
    for (let quadrant = 1; quadrant <= 4; quadrant++) starts[quadrant] += starts[quadrant - 1];
    const cursors = starts.slice(0, 4);
    for (const index of indices) scratch[start + cursors[quadrantOf[index]]++] = index;
    order.set(scratch.subarray(start, end), start);
    for (let quadrant = 0; quadrant < 4; quadrant++) {
      if (starts[quadrant + 1] > starts[quadrant])
        node.children.push(
          build(
            start + starts[quadrant],
            start + starts[quadrant + 1],
            level + 1,
            x * 2 + (quadrant & 1),
            y * 2 + (quadrant >> 1),
          ),
        );
    }
    // Parent content is coarse (prisms of the largest objects), so its error is what the coarse view loses:
    // at most the size of any object below, and never less than twice its children's.
    let largest = 0;
    for (const index of indices) largest = Math.max(largest, diagonals[index]);
    const childError = Math.max(...node.children.map((child) => child.geometricError));
    node.geometricError = Math.max(largest, childError * 2);
    return node;
  };
  return build(0, count, 0, 0, 0);
}
