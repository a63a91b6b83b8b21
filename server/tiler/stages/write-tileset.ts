// Stage: write every tile's GLB (full geometry in leaves, LOD1-like prisms of the largest objects in parents),
// the 3D Tiles 1.1 tileset.json, and the id index (persistent id → tile and bounding box) beside it.
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { geodeticToEcef } from '../crs';
import { SpillReader } from './feature-store';
import type { FeatureIndex, FeatureIndexEntry } from './feature-store';
import type { QuadtreeNode } from './build-quadtree';
import { diagonalAt, diagonalOf, unionBounds } from './build-quadtree';
import type { MetadataSchema } from './metadata-schema';
import { MaterialTable } from './triangulate';
import type {
  GeographicBounds,
  MaterialSnapshot,
  TriangulatedObject,
  TriangulatedSurface,
} from './triangulate';
import { writeGlb } from './write-glb';
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
}

/** One tile's content to write: full geometry of its objects (leaf) or their prisms (parent). */
export interface TileTask {
  uri: string;
  leaf: boolean;
  entries: FeatureIndexEntry[];
}

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
}

/** Writes GLB tiles; one per thread, reading objects from every store's spill file. */
export class TileWriter {
  private readonly materials: MaterialTable;
  private readonly reader: SpillReader;
  // Images are read once per tile that uses them; the last few stay cached for neighbouring tiles.
  private readonly imageCache = new Map<string, Uint8Array | undefined>();
  private written = 0;
  // A full collection every 2 MB of tiles keeps the heap at about one tile's worth (see ../memory). Each tile's objects
  // outlive two scavenges, so they die in the old generation: with 4 MB, peak RSS at 20,000 buildings was ~12 MB higher
  // (123 vs 110 MB, median of A/B runs); 1 MB gained nothing more and made twice the collections.
  private readonly collect = createCollector(2 << 20);

  constructor(private readonly setup: TileWriterSetup) {
    this.materials = MaterialTable.fromSnapshot(setup.materials);
    this.reader = new SpillReader(setup.spillPaths);
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
      : task.entries.map((entry) => createPrism(entry, this.materials));
    const { glb } = writeGlb(content, {
      images: this.materials.images,
      loadImage: this.loadImage,
      schema: this.setup.schema,
      materials: this.materials.colors,
      compress: this.setup.compress,
    });
    writeFileSync(path.join(this.setup.outDirectory, task.uri), glb);
    this.written += glb.length;
    this.collect(this.written);
    return glb.length;
  }

  close(): void {
    this.reader.close();
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

/** A box over an object's geographic bounds: the coarse stand-in shown by parent tiles (top and four sides). */
export function createPrism(entry: FeatureIndexEntry, materials: MaterialTable): TriangulatedObject {
  const { west, south, east, north, minimumHeight, maximumHeight } = entry.bounds;
  // Corners: bottom 0-3, top 4-7, counter-clockwise seen from above.
  const corners = new Float64Array(24);
  const footprint = [west, south, east, south, east, north, west, north];
  for (let index = 0; index < 4; index++) {
    geodeticToEcef(footprint[index * 2], footprint[index * 2 + 1], minimumHeight, corners, index * 3);
    geodeticToEcef(footprint[index * 2], footprint[index * 2 + 1], maximumHeight, corners, (index + 4) * 3);
  }
  const faces: Array<{ vertices: number[]; material: number }> = [
    { vertices: [4, 5, 6, 7], material: materials.intern('roof', undefined) },
  ];
  const wall = materials.intern('wall', undefined);
  for (let index = 0; index < 4; index++)
    faces.push({ vertices: [index, (index + 1) % 4, ((index + 1) % 4) + 4, index + 4], material: wall });
  const surfaces: TriangulatedSurface[] = [];
  for (const face of faces) {
    const positions = new Float64Array(12);
    face.vertices.forEach((corner, index) =>
      positions.set(corners.subarray(corner * 3, corner * 3 + 3), index * 3),
    );
    // Normal of the quad from its diagonals (exact for planar quads, robust for slightly warped ones).
    const d1 = [positions[6] - positions[0], positions[7] - positions[1], positions[8] - positions[2]];
    const d2 = [positions[9] - positions[3], positions[10] - positions[4], positions[11] - positions[5]];
    const normal: [number, number, number] = [
      d1[1] * d2[2] - d1[2] * d2[1],
      d1[2] * d2[0] - d1[0] * d2[2],
      d1[0] * d2[1] - d1[1] * d2[0],
    ];
    const length = Math.hypot(...normal);
    if (!(length > 0)) continue;
    surfaces.push({
      material: face.material,
      positions,
      normal: [normal[0] / length, normal[1] / length, normal[2] / length],
      indices: PRISM_FACE_INDICES,
    });
  }
  return {
    id: entry.id,
    parentId: entry.parentId,
    type: entry.type,
    lod: 1,
    attributes: {},
    surfaces,
    bounds: entry.bounds,
    vertexCount: surfaces.length * 4,
    triangleCount: surfaces.length * 2,
  };
}

const PRISM_FACE_INDICES = new Uint32Array([0, 1, 2, 0, 2, 3]);

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
  const tileOf = new Int32Array(entries.length).fill(-1);
  const featureOf = new Int32Array(entries.length);
  const uris: string[] = [];
  const plans: TilePlan[] = [];
  const diagonals = new Float64Array(entries.length);
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
      const chosen = node.subtreeFeatures
        .slice()
        .sort((a, b) => diagonals[b] - diagonals[a] || a - b)
        .slice(0, maximumParentFeatures);
      plans.push({ uri, leaf: false, features: chosen });
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

  // Id index, streamed: objects, then parents that have no geometry of their own (found through their parts).
  const idIndexPath = path.join(options.outDirectory, ID_INDEX_FILE);
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
    // What the tiles left behind goes first; then one collection per few MB of records written.
    collectGarbage();
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
      if (chunk.length > 1 << 20) {
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
  return { tiles: uris.length, bytes, tilesetPath, idIndexPath };
}
