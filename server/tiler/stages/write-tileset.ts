// Stage: write every tile's GLB (full geometry in leaves, LOD1-like prisms of the largest objects in parents),
// the 3D Tiles 1.1 tileset.json, and the id index (persistent id → tile and bounding box) beside it.
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync, writevSync } from 'node:fs';
import path from 'node:path';
import { GEODETIC_BASIS_SIZE, geodeticBasis, placeOnBasis } from '../crs';
import type { AttributeValue } from '../model';
import { SpillReader, boundsFrom } from './feature-store';
import type { FeatureIndex, FeatureIndexEntry, SpillEntry } from './feature-store';
import type { QuadtreeNode } from './build-quadtree';
import { diagonalAt, diagonalOf, unionBounds } from './build-quadtree';
import type { MetadataSchema } from './metadata-schema';
import { MaterialTable, createSurfaceColumns } from './triangulate';
import type { GeographicBounds, MaterialSnapshot, ObjectProperties, SurfaceColumns } from './triangulate';
import { writeGlbParts } from './write-glb';
import { collectGarbage, createCollector } from '../memory';

/** Options of {@link writeTileset}. */
export interface TilesetWriteOptions {
  outDirectory: string;
  /** Every object, indexed as the quadtree's feature numbers. */
  entries: FeatureIndex;
  /** Most prisms in one parent tile (default 1 500). */
  maximumParentFeatures?: number;
  /**
   * Writes the tiles' GLBs (in this thread or in workers); resolves to the bytes written. Each plan turns into a task
   * (with its entries) only when its turn comes, so that the entries are not all materialised at once.
   */
  runTiles: (plans: TilePlan[], onTile: () => void) => Promise<number>;
  /** After each tile: tiles written so far and how many there are. */
  onTile?: (tiles: number, total: number) => void;
}

/** A tile to write: its objects by feature number. */
export interface TilePlan {
  uri: string;
  leaf: boolean;
  features: Int32Array;
  /** Parents: the bounds of their objects, 6 numbers each in FeatureIndex's order of sides (see prismEntriesOf). */
  bounds?: Float64Array;
}

/** What a prism of a parent tile needs of an object. */
export type PrismEntry = Pick<FeatureIndexEntry, 'id' | 'parentId' | 'type' | 'bounds'>;

/** The objects of a parent tile's plan for its prisms: ids, types and parents from `entries`, bounds from the plan. */
export function prismEntriesOf(plan: TilePlan, entries: FeatureIndex): PrismEntry[] {
  const bounds = plan.bounds!;
  return Array.from(plan.features, (index, feature) => {
    const entry: PrismEntry = {
      id: entries.idAt(index),
      type: entries.typeAt(index),
      bounds: boundsFrom(bounds, feature * 6),
    };
    const parentId = entries.parentIdAt(index);
    if (parentId !== undefined) entry.parentId = parentId;
    return entry;
  });
}

/** One tile's content to write: full geometry of its objects (leaf) or their prisms (parent, from their bounds). */
export type TileTask =
  { uri: string; leaf: true; entries: SpillEntry[] } | { uri: string; leaf: false; entries: PrismEntry[] };

/** What every tile writer needs (plain data: sent to workers). */
export interface TileWriterSetup {
  outDirectory: string;
  materials: MaterialSnapshot;
  /** Per store: the store's material index → the shared table's index. */
  remaps: Int32Array[];
  schema: MetadataSchema;
  compress: boolean;
  /** Spill file per store index. */
  spillPaths: string[];
  /** The spill bytes of the largest leaf tile, if known: the buffer that leaves are read into is made that size once. */
  largestLeafBytes?: number;
}

/** Writes GLB tiles; one per thread, reading objects from every store's spill file. */
export class TileWriter {
  private readonly materials: MaterialTable;
  private readonly reader: SpillReader;
  // Images are read once per tile that uses them; the last few stay cached for neighbouring tiles.
  private readonly imageCache = new Map<string, Uint8Array | undefined>();
  private written = 0;
  // A full collection every 8 MB of tiles keeps the heap at a few tiles' worth (see ../memory): each tile's objects
  // may outlive two scavenges and so die in the old generation. Since a tile's arrays come from scratch memory reused
  // from tile to tile and its GLB is written in pieces, little else piles up between collections: against every 2 MB,
  // peak RSS at 100,000 buildings is 100 -> 101 MB and at 20,000 78 -> 79 MB, while the full collections' time at
  // 100,000 is 809 -> 440 ms (62 -> 33 collections; scavenges 376 -> 471 ms). 16 MB or none cost 7-16 MB more RSS
  // before the scratch memory (it was 2 MB then).
  private readonly collect = createCollector(8 << 20);

  constructor(private readonly setup: TileWriterSetup) {
    this.materials = MaterialTable.fromSnapshot(setup.materials);
    this.reader = new SpillReader(setup.spillPaths);
    this.reader.reserveTile(setup.largestLeafBytes ?? 0);
  }

  private loadImage = (imagePath: string): Uint8Array | undefined => {
    if (this.imageCache.has(imagePath)) return this.imageCache.get(imagePath);
    let bytes: Uint8Array | undefined;
    try {
      bytes = readFileSync(imagePath);
    } catch {
      bytes = undefined;
    }
    if (this.imageCache.size >= 16) this.imageCache.delete(this.imageCache.keys().next().value!);
    this.imageCache.set(imagePath, bytes);
    return bytes;
  };

  /** Writes one tile; returns its bytes. */
  write(task: TileTask): number {
    // Leaves: the spilled surfaces as columns over the bytes read, materials remapped to the shared table on the way.
    const content = task.leaf
      ? this.reader.readTile(task.entries, this.setup.remaps)
      : prismColumnsOf(task.entries, this.materials);
    // The GLB goes to its file in pieces, most of them views of scratch memory: no GLB-sized buffer per tile.
    const { parts, byteLength } = writeGlbParts(content, {
      images: this.materials.images,
      loadImage: this.loadImage,
      schema: this.setup.schema,
      materials: this.materials.colors,
      compress: this.setup.compress,
    });
    writeParts(path.join(this.setup.outDirectory, task.uri), parts, byteLength);
    this.written += byteLength;
    this.collect(this.written);
    return byteLength;
  }

  close(): void {
    this.reader.close();
  }
}

/**
 * The `count` largest of `features` by diagonal, largest first, equal ones by feature number (a total order, so the
 * result does not depend on how it is found).
 */
function largestFeatures(features: Int32Array, diagonals: Float64Array, count: number): Int32Array {
  const byDiagonal = (a: number, b: number) => diagonals[b] - diagonals[a] || a - b;
  if (features.length > count) {
    // Sorting with a comparator costs V8 work arrays of 8 bytes per element in its large-object space, which only a
    // full collection frees (3 MB at 100,000 objects while planning, the peak then): only the objects at least as large
    // as the count-th largest are sorted so, found by a plain sort of the diagonals (NaN last; with one, the order is
    // the comparator's alone, so every object is sorted as before).
    const sizes = Float64Array.from(features, (index) => diagonals[index]).sort();
    if (!Number.isNaN(sizes[sizes.length - 1])) {
      const threshold = sizes[sizes.length - count];
      return features
        .filter((index) => diagonals[index] >= threshold)
        .sort(byDiagonal)
        .slice(0, count);
    }
  }
  return features.slice().sort(byDiagonal).slice(0, count);
}

/** Writes `parts` (`byteLength` bytes in all) one after another as the file `file`, replacing it if it exists. */
function writeParts(file: string, parts: Uint8Array[], byteLength: number): void {
  const descriptor = openSync(file, 'w');
  try {
    const written = writevSync(descriptor, parts);
    // A regular file takes everything at once; should a write stop short, the rest follows part by part.
    if (written < byteLength) {
      let start = 0;
      for (const part of parts) {
        let at = Math.max(written - start, 0);
        while (at < part.byteLength) at += writeSync(descriptor, part, at);
        start += part.byteLength;
      }
    }
  } finally {
    closeSync(descriptor);
  }
}

/** What was written. */
export interface TilesetWriteResult {
  tiles: number;
  bytes: number;
  tilesetPath: string;
  idIndexPath: string;
}

/** File name of the tileset. */
export const TILESET_FILE = 'tileset.json';
/** File name of the id index beside tileset.json. */
export const ID_INDEX_FILE = 'ids.json';

const PAD_METRES = 0.25;
const EARTH_RADIUS = 6_378_137;

function regionOf(bounds: GeographicBounds): number[] {
  const radians = Math.PI / 180;
  const padLatitude = PAD_METRES / EARTH_RADIUS;
  const padLongitude = padLatitude / Math.max(Math.cos(((bounds.north + bounds.south) / 2) * radians), 0.01);
  return [
    bounds.west * radians - padLongitude,
    bounds.south * radians - padLatitude,
    bounds.east * radians + padLongitude,
    bounds.north * radians + padLatitude,
    bounds.minimumHeight - PAD_METRES,
    bounds.maximumHeight + PAD_METRES,
  ];
}

/** Corners of each prism face (bottom 0-3, top 4-7, counter-clockwise seen from above): the roof, then four walls. */
const PRISM_FACES = [
  [4, 5, 6, 7],
  [0, 1, 5, 4],
  [1, 2, 6, 5],
  [2, 3, 7, 6],
  [3, 0, 4, 7],
];
/** Every face is one quad of two triangles; all faces share these indices. */
const PRISM_FACE_INDICES = new Uint32Array([0, 1, 2, 0, 2, 3]);
const NO_ATTRIBUTES: Record<string, AttributeValue> = Object.freeze({});
/** Scratch for one prism's corners and their geodetic basis. */
const prismCorners = new Float64Array(24);
const prismBasis = new Float64Array(GEODETIC_BASIS_SIZE);

/**
 * Boxes over the objects' geographic bounds: the coarse stand-ins shown by parent tiles (top and four sides), written
 * straight into surface columns (no object or typed arrays per prism and face). Faces without area are left out.
 */
export function prismColumnsOf(entries: PrismEntry[], materials: MaterialTable): SurfaceColumns {
  const faceCount = PRISM_FACES.length;
  const columns = createSurfaceColumns([], entries.length * faceCount, {
    positions: new Float64Array(entries.length * faceCount * 12),
    indices: PRISM_FACE_INDICES,
    uvs: new Float32Array(0),
  });
  const roof = materials.intern('roof', undefined);
  const wall = materials.intern('wall', undefined);
  const { positions, normals } = columns;
  let surface = 0;
  for (let feature = 0; feature < entries.length; feature++) {
    const entry = entries[feature];
    const object: ObjectProperties = { id: entry.id, type: entry.type, lod: 1, attributes: NO_ATTRIBUTES };
    if (entry.parentId !== undefined) object.parentId = entry.parentId;
    columns.objects.push(object);
    placePrismCorners(entry.bounds);
    for (let face = 0; face < faceCount; face++) {
      const start = surface * 12;
      // Coordinate by coordinate: a subarray per corner to copy from cost more than the copy itself.
      const corners = PRISM_FACES[face];
      for (let index = 0; index < 4; index++) {
        const from = corners[index] * 3;
        const to = start + index * 3;
        positions[to] = prismCorners[from];
        positions[to + 1] = prismCorners[from + 1];
        positions[to + 2] = prismCorners[from + 2];
      }
      // Normal of the quad from its diagonals (exact for planar quads, robust for slightly warped ones).
      const d1x = positions[start + 6] - positions[start];
      const d1y = positions[start + 7] - positions[start + 1];
      const d1z = positions[start + 8] - positions[start + 2];
      const d2x = positions[start + 9] - positions[start + 3];
      const d2y = positions[start + 10] - positions[start + 4];
      const d2z = positions[start + 11] - positions[start + 5];
      const nx = d1y * d2z - d1z * d2y;
      const ny = d1z * d2x - d1x * d2z;
      const nz = d1x * d2y - d1y * d2x;
      const length = Math.hypot(nx, ny, nz);
      if (!(length > 0)) continue;
      columns.features[surface] = feature;
      columns.materials[surface] = face === 0 ? roof : wall;
      columns.vertexCounts[surface] = 4;
      columns.indexCounts[surface] = PRISM_FACE_INDICES.length;
      columns.positionStarts[surface] = start;
      columns.indexStarts[surface] = 0;
      columns.uvStarts[surface] = -1;
      normals[surface * 3] = nx / length;
      normals[surface * 3 + 1] = ny / length;
      normals[surface * 3 + 2] = nz / length;
      surface++;
    }
  }
  columns.surfaceCount = surface;
  return columns;
}

/** Fills prismCorners with the ECEF corners of a box over `bounds` (bottom 0-3, top 4-7). */
function placePrismCorners(bounds: GeographicBounds): void {
  const { west, south, east, north, minimumHeight, maximumHeight } = bounds;
  for (let index = 0; index < 4; index++) {
    // The footprint's corners counter-clockwise from south-west; bottom and top share one geodetic basis.
    const longitude = index === 1 || index === 2 ? east : west;
    const latitude = index >= 2 ? north : south;
    geodeticBasis(longitude, latitude, prismBasis, 0);
    placeOnBasis(prismBasis, 0, minimumHeight, prismCorners, index * 3);
    placeOnBasis(prismBasis, 0, maximumHeight, prismCorners, (index + 4) * 3);
  }
}

/**
 * Writes the tiles of `root` (through `options.runTiles`), then tileset.json and the id index.
 * @returns counts and paths.
 */
export async function writeTileset(
  root: QuadtreeNode,
  options: TilesetWriteOptions,
): Promise<TilesetWriteResult> {
  const entries = options.entries;
  const tilesDirectory = path.join(options.outDirectory, 'tiles');
  mkdirSync(tilesDirectory, { recursive: true });
  const maximumParentFeatures = options.maximumParentFeatures ?? 1_500;
  // Tile and feature number per object: for the id index, written (and these let go) before the tiles.
  let tileOf = new Int32Array(entries.length).fill(-1);
  let featureOf = new Int32Array(entries.length);
  const uris: string[] = [];
  const plans: TilePlan[] = [];
  // Only for planning; let go before the tiles are written (8 bytes per object).
  let diagonals = new Float64Array(entries.length);
  for (let index = 0; index < entries.length; index++) diagonals[index] = diagonalAt(entries, index);

  const planNode = (node: QuadtreeNode): Record<string, unknown> => {
    const uri = `tiles/${node.level}-${node.x}-${node.y}.glb`;
    const tileIndex = uris.length;
    uris.push(uri);
    if (node.children.length === 0) {
      node.features.forEach((index, feature) => {
        tileOf[index] = tileIndex;
        featureOf[index] = feature;
      });
      plans.push({ uri, leaf: true, features: node.features });
    } else {
      // The largest objects first: they matter most from afar; equal ones by feature number (the order of a subtree's
      // objects is not defined).
      const chosen = largestFeatures(node.subtreeFeatures, diagonals, maximumParentFeatures);
      // The chosen objects' bounds, for their prisms: the index lets go of its bounds before the tiles are written.
      const bounds = new Float64Array(chosen.length * 6);
      chosen.forEach((index, feature) => {
        for (let side = 0; side < 6; side++) bounds[feature * 6 + side] = entries.boundAt(index, side);
      });
      plans.push({ uri, leaf: false, features: chosen, bounds });
    }
    const children = node.children.map(planNode);
    // Padding depends on latitude, so the parent takes the union of its padded children to contain them exactly.
    const region = regionOf(node.bounds);
    for (const child of children) {
      const inner = (child.boundingVolume as { region: number[] }).region;
      region[0] = Math.min(region[0], inner[0]);
      region[1] = Math.min(region[1], inner[1]);
      region[2] = Math.max(region[2], inner[2]);
      region[3] = Math.max(region[3], inner[3]);
      region[4] = Math.min(region[4], inner[4]);
      region[5] = Math.max(region[5], inner[5]);
    }
    const tile: Record<string, unknown> = {
      boundingVolume: { region },
      geometricError: node.geometricError,
      refine: 'REPLACE',
      content: { uri },
    };
    if (children.length > 0) tile.children = children;
    return tile;
  };
  const rootTile = planNode(root);
  diagonals = new Float64Array(0);
  // The id index goes first: after it, neither the tile and feature numbers nor the index's bounds, counts and lines
  // are needed, and they need not be held while the tiles are written (about 70 bytes per object).
  const idIndexPath = writeIdIndex(options.outDirectory, entries, uris, tileOf, featureOf);
  tileOf = featureOf = new Int32Array(0);
  entries.releasePlanningFields();
  collectGarbage();
  let done = 0;
  let bytes = await options.runTiles(plans, () => options.onTile?.(++done, plans.length));
  const tileset = {
    asset: { version: '1.1', generator: 'Plaza tiler' },
    geometricError: Math.max(root.geometricError * 2, diagonalOf(root.bounds)),
    root: rootTile,
  };
  const tilesetPath = path.join(options.outDirectory, TILESET_FILE);
  const tilesetJson = JSON.stringify(tileset);
  writeFileSync(tilesetPath, tilesetJson);
  bytes += Buffer.byteLength(tilesetJson);

  return { tiles: uris.length, bytes, tilesetPath, idIndexPath };
}

/**
 * Writes the id index (`ids.json`), streamed: objects (with their tile and feature number in it), then parents that
 * have no geometry of their own (found through their parts).
 * @returns its path.
 */
function writeIdIndex(
  outDirectory: string,
  entries: FeatureIndex,
  uris: string[],
  tileOf: Int32Array,
  featureOf: Int32Array,
): string {
  const idIndexPath = path.join(outDirectory, ID_INDEX_FILE);
  const descriptor = openSync(idIndexPath, 'w');
  const round = (value: number) => Math.round(value * 1e8) / 1e8;
  const regionDegrees = (bounds: GeographicBounds) => [
    round(bounds.west),
    round(bounds.south),
    round(bounds.east),
    round(bounds.north),
    Math.round(bounds.minimumHeight * 1000) / 1000,
    Math.round(bounds.maximumHeight * 1000) / 1000,
  ];
  try {
    writeSync(
      descriptor,
      '{"version":1,"tileset":"tileset.json","regionUnits":"degrees, metres above the WGS84 ellipsoid","features":{',
    );
    const parents = new Map<
      string,
      { bounds: GeographicBounds; tile: number; parts: string[]; type: string }
    >();
    let first = true;
    let chunk = '';
    // One collection per few MB of records written.
    const collectIds = createCollector(8 << 20);
    let idBytes = 0;
    for (let index = 0; index < entries.length; index++) {
      const id = entries.idAt(index);
      const type = entries.typeAt(index);
      const bounds = entries.boundsAt(index);
      const record: Record<string, unknown> = {
        tile: uris[tileOf[index]],
        feature: featureOf[index],
        type,
        region: regionDegrees(bounds),
      };
      const parentId = entries.parentIdAt(index);
      if (parentId) {
        record.parentId = parentId;
        const parent = parents.get(parentId);
        if (parent) {
          parent.bounds = unionBounds(parent.bounds, bounds);
          parent.parts.push(id);
        } else
          parents.set(parentId, {
            bounds,
            tile: tileOf[index],
            parts: [id],
            type: type.replace(/Part$/, ''),
          });
      }
      chunk += `${first ? '' : ','}${JSON.stringify(id)}:${JSON.stringify(record)}`;
      first = false;
      // Written every 64 KB: a chunk is a tree of small strings until it is written, and one of 1 MB lived through
      // enough scavenges to be moved to the old generation, piece by piece (at 100,000 objects this phase was the peak).
      if (chunk.length > 64 << 10) {
        idBytes += writeSync(descriptor, chunk);
        chunk = '';
        collectIds(idBytes);
      }
    }
    // Parents that are objects themselves have their own records (a pass over the ids rather than a set of them all).
    if (parents.size > 0)
      for (let index = 0; index < entries.length; index++) parents.delete(entries.idAt(index));
    for (const [id, parent] of parents) {
      const record = {
        tile: uris[parent.tile],
        type: parent.type,
        region: regionDegrees(parent.bounds),
        parts: parent.parts,
      };
      chunk += `${first ? '' : ','}${JSON.stringify(id)}:${JSON.stringify(record)}`;
      first = false;
    }
    writeSync(descriptor, chunk + '}}');
  } finally {
    closeSync(descriptor);
  }
  return idIndexPath;
}
