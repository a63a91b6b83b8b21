// Stage: a spatial quadtree over object centroids (longitude, latitude) with a vertex and object budget per leaf,
// and geometric errors derived from what each level leaves out.
import type { FeatureList } from './feature-store';
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
  /** Objects whose full geometry this tile holds (leaves only). */
  features: number[];
  children: QuadtreeNode[];
  /** Union of the geographic bounds of every object below (degrees, metres). */
  bounds: GeographicBounds;
  /** Metres of error if this tile is shown and its children are not; 0 for leaves. */
  geometricError: number;
  /** Every object in this subtree. */
  subtreeFeatures: number[];
}

const METRES_PER_DEGREE = 111_320;

/** Approximate diagonal of geographic bounds in metres. */
export function diagonalOf(bounds: GeographicBounds): number {
  const latitude = ((bounds.north + bounds.south) / 2) * (Math.PI / 180);
  const dx = (bounds.east - bounds.west) * METRES_PER_DEGREE * Math.cos(latitude);
  const dy = (bounds.north - bounds.south) * METRES_PER_DEGREE;
  const dz = bounds.maximumHeight - bounds.minimumHeight;
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
 * Builds the quadtree over `entries` (assigned by centroid, so each object is in exactly one leaf).
 * @throws Error when `entries` is empty (a developer error: the pipeline checks first).
 */
export function buildQuadtree(entries: FeatureList, options: QuadtreeOptions = {}): QuadtreeNode {
  if (entries.length === 0) throw new Error('buildQuadtree: no objects');
  const maximumVertices = options.maximumLeafVertices ?? 60_000;
  const maximumFeatures = options.maximumLeafFeatures ?? 2_000;
  const maximumDepth = options.maximumDepth ?? 16;
  const centroidX = new Float64Array(entries.length);
  const centroidY = new Float64Array(entries.length);
  let west = Infinity;
  let south = Infinity;
  let east = -Infinity;
  let north = -Infinity;
  for (let index = 0; index < entries.length; index++) {
    const entry = entries.at(index)!;
    centroidX[index] = (entry.bounds.west + entry.bounds.east) / 2;
    centroidY[index] = (entry.bounds.south + entry.bounds.north) / 2;
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

  const build = (indices: number[], level: number, x: number, y: number): QuadtreeNode => {
    let vertices = 0;
    let bounds: GeographicBounds | undefined;
    for (const index of indices) {
      const entry = entries.at(index)!;
      vertices += entry.vertexCount;
      bounds = unionBounds(bounds, entry.bounds);
    }
    const node: QuadtreeNode = {
      level,
      x,
      y,
      features: [],
      children: [],
      bounds: bounds!,
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
    const quadrants: number[][] = [[], [], [], []];
    for (const index of indices)
      quadrants[(centroidX[index] >= middleX ? 1 : 0) + (centroidY[index] >= middleY ? 2 : 0)].push(index);
    quadrants.forEach((quadrant, position) => {
      if (quadrant.length > 0)
        node.children.push(build(quadrant, level + 1, x * 2 + (position & 1), y * 2 + (position >> 1)));
    });
    // Parent content is coarse (prisms of the largest objects), so its error is what the coarse view loses:
    // at most the size of any object below, and never less than twice its children's.
    let largest = 0;
    for (const index of indices) largest = Math.max(largest, diagonalOf(entries.at(index)!.bounds));
    const childError = Math.max(...node.children.map((child) => child.geometricError));
    node.geometricError = Math.max(largest, childError * 2);
    return node;
  };
  return build(
    Array.from({ length: entries.length }, (_, index) => index),
    0,
    0,
    0,
  );
}
