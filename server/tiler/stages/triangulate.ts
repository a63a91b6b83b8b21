// Stage: place an object's polygons on the WGS84 ellipsoid (ECEF, float64) and triangulate each polygon on its
// best-fit plane (Newell normal) with earcut, holes included; degenerate rings are skipped with a warning.
import earcut from 'earcut';
import { GEODETIC_BASIS_SIZE, geodeticBasis, placeOnBasis } from '../crs';
import type { HorizontalTransform } from '../crs';
import type { ConversionWarning } from '../errors';
import { SURFACE_COLORS } from '../model';
import type { AttributeValue, CityObjectRecord, Rgba, SurfaceKind } from '../model';

/** One triangulated polygon in ECEF. */
export interface TriangulatedSurface {
  /** Index into the conversion's material table. */
  material: number;
  /** x,y,z ECEF metres. */
  positions: Float64Array;
  /** Unit normal (ECEF). */
  normal: [number, number, number];
  indices: Uint32Array;
  /** u,v per vertex (glTF orientation, v down) when the surface is textured. */
  uvs?: Float32Array;
}

/** Geographic bounds in degrees and metres above the ellipsoid. */
export interface GeographicBounds {
  west: number;
  south: number;
  east: number;
  north: number;
  minimumHeight: number;
  maximumHeight: number;
}

/** A city object ready to be tiled. */
export interface TriangulatedObject {
  id: string;
  parentId?: string;
  type: string;
  lod: number;
  attributes: Record<string, AttributeValue>;
  surfaces: TriangulatedSurface[];
  bounds: GeographicBounds;
  vertexCount: number;
  triangleCount: number;
}

/** What a tile's property table needs of an object. */
export type ObjectProperties = Pick<TriangulatedObject, 'id' | 'parentId' | 'type' | 'lod' | 'attributes'>;

/**
 * The objects of one tile with every surface's data in shared columns rather than an object and typed arrays per
 * surface (what the GLB writer reads, decoded straight from spilled bytes). Surface s, in object order, belongs to
 * object `features[s]`; its `vertexCounts[s]` vertices are x,y,z ECEF from `positions[positionStarts[s]]`, its
 * `indexCounts[s]` indices (relative to its first vertex) from `indices[indexStarts[s]]`, its u,v pairs from
 * `uvs[uvStarts[s]]` (-1: untextured); its unit normal is `normals[3s … 3s+2]`.
 */
export interface SurfaceColumns {
  objects: ObjectProperties[];
  surfaceCount: number;
  features: Uint32Array;
  materials: Uint32Array;
  vertexCounts: Uint32Array;
  indexCounts: Uint32Array;
  positionStarts: Uint32Array;
  indexStarts: Uint32Array;
  uvStarts: Int32Array;
  normals: Float64Array;
  positions: Float64Array;
  indices: Uint32Array;
  uvs: Float32Array;
}

/** Columns for `surfaceCount` surfaces over the given data arrays (filled by the caller). */
export function createSurfaceColumns(
  objects: ObjectProperties[],
  surfaceCount: number,
  data: Pick<SurfaceColumns, 'positions' | 'indices' | 'uvs'>,
): SurfaceColumns {
  return {
    objects,
    surfaceCount,
    features: new Uint32Array(surfaceCount),
    materials: new Uint32Array(surfaceCount),
    vertexCounts: new Uint32Array(surfaceCount),
    indexCounts: new Uint32Array(surfaceCount),
    positionStarts: new Uint32Array(surfaceCount),
    indexStarts: new Uint32Array(surfaceCount),
    uvStarts: new Int32Array(surfaceCount),
    normals: new Float64Array(surfaceCount * 3),
    positions: data.positions,
    indices: data.indices,
    uvs: data.uvs,
  };
}

/** The surfaces of objects as columns (their numbers copied into shared arrays). */
export function surfaceColumnsOf(objects: TriangulatedObject[]): SurfaceColumns {
  let surfaceCount = 0;
  let positionCount = 0;
  let indexCount = 0;
  let uvCount = 0;
  for (const object of objects) {
    for (const surface of object.surfaces) {
      surfaceCount++;
      positionCount += surface.positions.length;
      indexCount += surface.indices.length;
      uvCount += surface.uvs?.length ?? 0;
    }
  }
  const columns = createSurfaceColumns(objects, surfaceCount, {
    positions: new Float64Array(positionCount),
    indices: new Uint32Array(indexCount),
    uvs: new Float32Array(uvCount),
  });
  let index = 0;
  positionCount = 0;
  indexCount = 0;
  uvCount = 0;
  for (let feature = 0; feature < objects.length; feature++) {
    for (const surface of objects[feature].surfaces) {
      columns.features[index] = feature;
      columns.materials[index] = surface.material;
      columns.vertexCounts[index] = surface.positions.length / 3;
      columns.indexCounts[index] = surface.indices.length;
      columns.normals.set(surface.normal, index * 3);
      columns.positionStarts[index] = positionCount;
      columns.positions.set(surface.positions, positionCount);
      positionCount += surface.positions.length;
      columns.indexStarts[index] = indexCount;
      columns.indices.set(surface.indices, indexCount);
      indexCount += surface.indices.length;
      columns.uvStarts[index] = surface.uvs ? uvCount : -1;
      if (surface.uvs) {
        columns.uvs.set(surface.uvs, uvCount);
        uvCount += surface.uvs.length;
      }
      index++;
    }
  }
  return columns;
}

/** A material table as plain data. */
export interface MaterialSnapshot {
  names: string[];
  colors: Rgba[];
  images: Array<[number, string]>;
}

/** Interns materials (kind or explicit colour) into a table shared by every tile. */
export class MaterialTable {
  readonly colors: Rgba[] = [];
  readonly names: string[] = [];
  /** Image path per material index, for textured materials. */
  readonly images = new Map<number, string>();
  private readonly byKey = new Map<string, number>();

  /** The table as plain data (structured-clonable). */
  snapshot(): MaterialSnapshot {
    return {
      names: [...this.names],
      colors: this.colors.map((color) => [...color] as Rgba),
      images: [...this.images],
    };
  }

  /** A table holding a snapshot's materials at the same indices. */
  static fromSnapshot(snapshot: MaterialSnapshot): MaterialTable {
    const table = new MaterialTable();
    snapshot.names.forEach((name, index) => {
      table.names.push(name);
      table.colors.push(snapshot.colors[index]);
      table.byKey.set(name, index);
    });
    for (const [index, image] of snapshot.images) table.images.set(index, image);
    return table;
  }

  /**
   * Merges tables into one whose materials are sorted by key, so the output does not depend on the order in which
   * objects were read (or by which worker). @returns the merged table and, per input table, old index -> new index.
   */
  static canonical(snapshots: MaterialSnapshot[]): { table: MaterialTable; remaps: Int32Array[] } {
    const byName = new Map<string, { color: Rgba; image?: string }>();
    for (const snapshot of snapshots) {
      const images = new Map(snapshot.images);
      snapshot.names.forEach((name, index) => {
        if (!byName.has(name)) byName.set(name, { color: snapshot.colors[index], image: images.get(index) });
      });
    }
    const names = [...byName.keys()].sort();
    const merged: MaterialSnapshot = { names, colors: [], images: [] };
    names.forEach((name, index) => {
      const material = byName.get(name)!;
      merged.colors.push(material.color);
      if (material.image !== undefined) merged.images.push([index, material.image]);
    });
    const table = MaterialTable.fromSnapshot(merged);
    const remaps = snapshots.map((snapshot) =>
      Int32Array.from(snapshot.names, (name) => table.byKey.get(name)!),
    );
    return { table, remaps };
  }

  /** Returns the material index of a textured surface. */
  internTexture(image: string): number {
    const key = `texture:${image}`;
    let index = this.byKey.get(key);
    if (index === undefined) {
      index = this.colors.length;
      this.colors.push([1, 1, 1, 1]);
      this.names.push(key);
      this.images.set(index, image);
      this.byKey.set(key, index);
    }
    return index;
  }

  /** Returns the material index for a surface kind and optional explicit colour. */
  intern(kind: SurfaceKind, color: Rgba | undefined): number {
    const key = color ? `rgba(${color.map((value) => value.toFixed(3)).join(',')})` : kind;
    let index = this.byKey.get(key);
    if (index === undefined) {
      index = this.colors.length;
      this.colors.push(color ?? SURFACE_COLORS[kind]);
      this.names.push(key);
      this.byKey.set(key, index);
    }
    return index;
  }
}

/** Where heights go: orthometric source heights plus an offset (e.g. the local geoid undulation). */
export interface HeightMapping {
  offset: number;
}

// A ring is degenerate below 1 cm² or when it is a sliver (area below 1e-6 × perimeter²): collinear points in a
// projected CRS are not exactly collinear once placed on the ellipsoid.
const MINIMUM_AREA = 1e-4;
/** Fans for convex triangles and quads, the bulk of LOD2 surfaces: no earcut (and its garbage) needed. */
const FAN: Record<number, number[]> = { 3: [0, 1, 2], 4: [0, 1, 2, 0, 2, 3] };

/** True when the 2D ring (x,y pairs) turns the same way at every vertex. */
function isConvex(flat: Float64Array, count: number): boolean {
  let sign = 0;
  for (let index = 0; index < count; index++) {
    const a = index * 2;
    const b = ((index + 1) % count) * 2;
    const c = ((index + 2) % count) * 2;
    const cross =
      (flat[b] - flat[a]) * (flat[c + 1] - flat[b + 1]) - (flat[b + 1] - flat[a + 1]) * (flat[c] - flat[b]);
    if (cross === 0) return false;
    if (sign === 0) sign = Math.sign(cross);
    else if (Math.sign(cross) !== sign) return false;
  }
  return true;
}
const MINIMUM_THINNESS = 1e-6;

let planeScratch = new Float64Array(1024);

/**
 * The shared scratch array, grown to hold at least `length` values; valid until the next call. The array itself, not
 * a view of `length` values: a view is an object per polygon, and only earcut needs one (it reads the length).
 */
function planeCoordinates(length: number): Float64Array {
  if (planeScratch.length < length)
    planeScratch = new Float64Array(Math.max(length, planeScratch.length * 2));
  return planeScratch;
}

/**
 * The last few distinct (x, y) of the object being placed, their longitude/latitude and geodetic basis: vertices
 * stacked above each other (wall corners, the ground and the roof over them) share x and y, so the projection and the
 * sines and cosines of ECEF placement run about once per corner column instead of once per vertex. Zero coordinates
 * are never kept (0 === -0, and a projection may tell them apart).
 */
const RECENT_POINTS = 16;
const recentX = new Float64Array(RECENT_POINTS);
const recentY = new Float64Array(RECENT_POINTS);
const recentLonLat = new Float64Array(RECENT_POINTS * 2);
/** The geodetic basis (sines, cosines, radius of curvature) of each recent point, and one more for a point not kept. */
const recentBasis = new Float64Array((RECENT_POINTS + 1) * GEODETIC_BASIS_SIZE);

/** Where the projection writes longitude and latitude. */
const lonLat = new Float64Array(2);

/**
 * Rings' ECEF coordinates are views of a shared chunk, handed out once each and never reused: one allocation per many
 * objects rather than one per ring (typed arrays of more than 64 bytes are allocated outside the heap, which costs
 * more than a view). A chunk stays alive as long as any view of it does.
 */
const COORDINATE_CHUNK = 1 << 16;
let coordinateChunk = new Float64Array(COORDINATE_CHUNK);
let coordinateChunkUsed = 0;

/** A fresh view of `length` coordinates. */
function coordinateView(length: number): Float64Array {
  if (coordinateChunkUsed + length > coordinateChunk.length) {
    coordinateChunk = new Float64Array(Math.max(COORDINATE_CHUNK, length));
    coordinateChunkUsed = 0;
  }
  coordinateChunkUsed += length;
  return coordinateChunk.subarray(coordinateChunkUsed - length, coordinateChunkUsed);
}

/**
 * Places and triangulates one object. Polygons that cannot be triangulated are reported through `onWarning`.
 * @returns undefined when no polygon of the object is usable.
 */
export function triangulateObject(
  record: CityObjectRecord,
  transform: HorizontalTransform,
  heights: HeightMapping,
  materials: MaterialTable,
  onWarning: (warning: ConversionWarning) => void,
): TriangulatedObject | undefined {
  let recentCount = 0;
  let recentNext = 0;
  const bounds: GeographicBounds = {
    west: Infinity,
    south: Infinity,
    east: -Infinity,
    north: -Infinity,
    minimumHeight: Infinity,
    maximumHeight: -Infinity,
  };
  const surfaces: TriangulatedSurface[] = [];
  let vertexCount = 0;
  let triangleCount = 0;
  let skipped = 0;
  let firstProblem = '';
  let firstLine: number | undefined;
  let currentLine: number | undefined;
  // One callback per object, not per polygon: closures are not free in a loop over millions of polygons.
  const reportProblem = (message: string) => problem(message, currentLine);
  const problem = (message: string, line: number | undefined) => {
    skipped++;
    if (!firstProblem) {
      firstProblem = message;
      firstLine = line;
    }
  };

  for (const polygon of record.polygons) {
    const rings: Float64Array[] = [];
    let bad = false;
    for (let ringIndex = 0; ringIndex < polygon.rings.length; ringIndex++) {
      const source = polygon.rings[ringIndex];
      const count = Math.floor(source.length / 3);
      const ecef = coordinateView(count * 3);
      for (let vertex = 0; vertex < count; vertex++) {
        const x = source[vertex * 3];
        const y = source[vertex * 3 + 1];
        const height = source[vertex * 3 + 2] + heights.offset;
        // Zero coordinates are neither looked up nor kept (see RECENT_POINTS).
        const cacheable = x !== 0 && y !== 0;
        let recent = -1;
        if (cacheable) {
          for (let index = 0; index < recentCount; index++) {
            if (recentX[index] === x && recentY[index] === y) {
              recent = index;
              break;
            }
          }
        }
        let longitude: number;
        let latitude: number;
        // Where this vertex's geodetic basis is: its recent point's, or the slot after them for one not kept.
        let basis = RECENT_POINTS;
        if (recent >= 0) {
          longitude = recentLonLat[recent * 2];
          latitude = recentLonLat[recent * 2 + 1];
          basis = recent;
        } else {
          transform(x, y, lonLat);
          longitude = lonLat[0];
          latitude = lonLat[1];
          if (cacheable) {
            recentX[recentNext] = x;
            recentY[recentNext] = y;
            recentLonLat[recentNext * 2] = longitude;
            recentLonLat[recentNext * 2 + 1] = latitude;
            basis = recentNext;
            recentNext = (recentNext + 1) % RECENT_POINTS;
            if (recentCount < RECENT_POINTS) recentCount++;
          }
          geodeticBasis(longitude, latitude, recentBasis, basis * GEODETIC_BASIS_SIZE);
        }
        if (
          !Number.isFinite(longitude) ||
          !Number.isFinite(latitude) ||
          !Number.isFinite(height) ||
          Math.abs(latitude) > 90
        ) {
          bad = true;
          break;
        }
        if (longitude < bounds.west) bounds.west = longitude;
        if (longitude > bounds.east) bounds.east = longitude;
        if (latitude < bounds.south) bounds.south = latitude;
        if (latitude > bounds.north) bounds.north = latitude;
        if (height < bounds.minimumHeight) bounds.minimumHeight = height;
        if (height > bounds.maximumHeight) bounds.maximumHeight = height;
        placeOnBasis(recentBasis, basis * GEODETIC_BASIS_SIZE, height, ecef, vertex * 3);
      }
      if (bad) break;
      rings.push(ecef);
    }
    if (bad) {
      problem('coordinates outside the valid range of the CRS', polygon.line);
      continue;
    }
    currentLine = polygon.line;
    const textureUvs =
      polygon.texture &&
      polygon.texture.uvs.length === rings.length &&
      polygon.texture.uvs.every((uv, index) => uv.length === (rings[index].length / 3) * 2)
        ? polygon.texture.uvs
        : undefined;
    const surface = triangulatePolygon(rings, reportProblem, textureUvs);
    if (!surface) continue;
    const material = surface.uvs
      ? materials.internTexture(polygon.texture!.image)
      : materials.intern(polygon.kind, polygon.color);
    // A literal, not `{ ...surface, material }`: spreading costs several times more, once per polygon.
    surfaces.push({
      positions: surface.positions,
      normal: surface.normal,
      indices: surface.indices,
      uvs: surface.uvs,
      material,
    });
    vertexCount += surface.positions.length / 3;
    triangleCount += surface.indices.length / 3;
  }
  if (skipped > 0) {
    onWarning({
      file: record.file,
      line: firstLine ?? record.line,
      message: `${record.type} ${record.id}: ${skipped} polygon(s) skipped (first: ${firstProblem})`,
    });
  }
  if (surfaces.length === 0) return undefined;
  return {
    id: record.id,
    parentId: record.parentId,
    type: record.type,
    lod: record.lod,
    attributes: record.attributes,
    surfaces,
    bounds,
    vertexCount,
    triangleCount,
  };
}

/**
 * True when a ring of this area is no sliver: area above MINIMUM_THINNESS × perimeter², the perimeter summed with
 * Math.hypot per edge. `perimeter` comes summed from plain square roots, which can differ from that in the last bits
 * only; so near the threshold (within a margin far wider than those bits) the perimeter is summed again with
 * Math.hypot, and the decision is always the one the hypot sum gives.
 */
function thickEnough(area: number, perimeter: number, ring: Float64Array): boolean {
  const limit = MINIMUM_THINNESS * perimeter * perimeter;
  if (Math.abs(area - limit) > 1e-9 * limit) return area > limit;
  const originX = ring[0];
  const originY = ring[1];
  const originZ = ring[2];
  const count = ring.length / 3;
  let exact = 0;
  for (let index = 0; index < count; index++) {
    const next = (index + 1) % count;
    exact += Math.hypot(
      ring[next * 3] - originX - (ring[index * 3] - originX),
      ring[next * 3 + 1] - originY - (ring[index * 3 + 1] - originY),
      ring[next * 3 + 2] - originZ - (ring[index * 3 + 2] - originZ),
    );
  }
  return area > MINIMUM_THINNESS * exact * exact;
}

/** Triangulates one polygon (ECEF rings, exterior first). Reports and returns undefined when it is degenerate. */
export function triangulatePolygon(
  rings: Float64Array[],
  onProblem: (message: string) => void,
  ringUvs?: number[][],
): Omit<TriangulatedSurface, 'material'> | undefined {
  const exterior = rings[0];
  if (!exterior || exterior.length < 9) {
    onProblem('degenerate ring (fewer than 3 points)');
    return undefined;
  }
  const originX = exterior[0];
  const originY = exterior[1];
  const originZ = exterior[2];
  // Newell's method on coordinates relative to the first vertex (float64 cancellation stays small).
  let nx = 0;
  let ny = 0;
  let nz = 0;
  let perimeter = 0;
  const count = exterior.length / 3;
  for (let index = 0; index < count; index++) {
    const next = (index + 1) % count;
    const ax = exterior[index * 3] - originX;
    const ay = exterior[index * 3 + 1] - originY;
    const az = exterior[index * 3 + 2] - originZ;
    const bx = exterior[next * 3] - originX;
    const by = exterior[next * 3 + 1] - originY;
    const bz = exterior[next * 3 + 2] - originZ;
    nx += (ay - by) * (az + bz);
    ny += (az - bz) * (ax + bx);
    nz += (ax - bx) * (ay + by);
    // A square root, not Math.hypot (several times slower); thickEnough settles the cases where that could matter.
    perimeter += Math.sqrt((bx - ax) * (bx - ax) + (by - ay) * (by - ay) + (bz - az) * (bz - az));
  }
  const length = Math.hypot(nx, ny, nz);
  const area = length / 2;
  if (!(area > MINIMUM_AREA && thickEnough(area, perimeter, exterior))) {
    onProblem('degenerate ring (zero area or collinear points)');
    return undefined;
  }
  nx /= length;
  ny /= length;
  nz /= length;
  // An in-plane basis (u, v) with u × v = n.
  let ux: number, uy: number, uz: number;
  if (Math.abs(nx) < 0.9) {
    ux = 0;
    uy = nz;
    uz = -ny;
  } else {
    ux = -nz;
    uy = 0;
    uz = nx;
  }
  const uLength = Math.hypot(ux, uy, uz);
  ux /= uLength;
  uy /= uLength;
  uz /= uLength;
  const vx = ny * uz - nz * uy;
  const vy = nz * ux - nx * uz;
  const vz = nx * uy - ny * ux;

  const kept: Float64Array[] = [exterior];
  const keptUvs: number[][] = ringUvs ? [ringUvs[0]] : [];
  for (let ringIndex = 1; ringIndex < rings.length; ringIndex++) {
    const hole = rings[ringIndex];
    if (hole.length < 9) {
      onProblem('degenerate interior ring (fewer than 3 points)');
      continue;
    }
    kept.push(hole);
    if (ringUvs) keptUvs.push(ringUvs[ringIndex]);
  }
  let total = 0;
  for (const ring of kept) total += ring.length / 3;
  // The plane coordinates live only during this call, in the shared scratch array (see planeCoordinates).
  const flat = planeCoordinates(total * 2);
  // A single ring (most polygons) is used as it is; rings with holes are concatenated.
  const single = kept.length === 1;
  const positions = single ? exterior : new Float64Array(total * 3);
  const holes: number[] = [];
  let cursor = 0;
  for (let ringIndex = 0; ringIndex < kept.length; ringIndex++) {
    const ring = kept[ringIndex];
    if (ringIndex > 0) holes.push(cursor);
    for (let index = 0; index < ring.length; index += 3) {
      const dx = ring[index] - originX;
      const dy = ring[index + 1] - originY;
      const dz = ring[index + 2] - originZ;
      flat[cursor * 2] = dx * ux + dy * uy + dz * uz;
      flat[cursor * 2 + 1] = dx * vx + dy * vy + dz * vz;
      if (!single) {
        positions[cursor * 3] = ring[index];
        positions[cursor * 3 + 1] = ring[index + 1];
        positions[cursor * 3 + 2] = ring[index + 2];
      }
      cursor++;
    }
  }
  let uvs: Float32Array | undefined;
  if (ringUvs) {
    uvs = new Float32Array(total * 2);
    let uvCursor = 0;
    for (const ringUv of keptUvs) {
      // CityGML and CityJSON put the texture origin bottom-left, glTF top-left.
      for (let index = 0; index < ringUv.length; index += 2) {
        uvs[uvCursor++] = ringUv[index];
        uvs[uvCursor++] = 1 - ringUv[index + 1];
      }
    }
  }
  const triangles =
    holes.length === 0 && total <= 4 && isConvex(flat, total)
      ? FAN[total]
      : earcut(flat.subarray(0, total * 2), holes.length > 0 ? holes : undefined, 2);
  if (triangles.length === 0) {
    onProblem('polygon could not be triangulated (self-intersecting or degenerate)');
    return undefined;
  }
  const indices = new Uint32Array(triangles.length);
  for (let index = 0; index < triangles.length; index += 3) {
    const a = triangles[index];
    let b = triangles[index + 1];
    let c = triangles[index + 2];
    const area =
      (flat[b * 2] - flat[a * 2]) * (flat[c * 2 + 1] - flat[a * 2 + 1]) -
      (flat[c * 2] - flat[a * 2]) * (flat[b * 2 + 1] - flat[a * 2 + 1]);
    // Keep every triangle facing along the polygon's Newell normal.
    if (area < 0) [b, c] = [c, b];
    indices[index] = a;
    indices[index + 1] = b;
    indices[index + 2] = c;
  }
  return { positions, normal: [nx, ny, nz], indices, uvs };
}
